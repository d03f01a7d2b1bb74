import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Problem } from '@webchat/contracts';
import { REPO_ROOT, getFreePort } from '@webchat/testkit';
import { startEdge, waitForLogLine, type EdgeUnderTest } from '@webchat/test-harness';
import { postJson, rawRequest, type RawResponse } from '@webchat/test-harness';
import { defaultHandler, startTinyUpstream, type TinyUpstream } from '@webchat/test-harness';
import { loadStarshipLimits } from '@webchat/starship/src/config';

/*
 * Starship's own behaviour, with real nginx in front of a small recording upstream: what it forwards,
 * what it answers itself, and which headers a client gets. The real services are in system.test.ts.
 */

const TOKEN = '/v2/Webchat/Token';
const NGINX_REQUEST_ID = /^[0-9a-f]{32}$/;

function expectProblem(response: RawResponse, status: number, code: string): Problem {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toBe('application/problem+json');
  const problem = Problem.parse(response.json());
  expect(problem).toMatchObject({ status, code });
  expect(problem.requestId).toBe(response.headers['x-request-id']);
  expect(response.all('x-content-type-options')).toEqual(['nosniff']);
  return problem;
}

describe('Starship in front of a recording upstream', () => {
  let upstream: TinyUpstream;
  let edge: EdgeUnderTest;
  let assetsDir: string;

  beforeAll(async () => {
    assetsDir = mkdtempSync(join(tmpdir(), 'starship-assets-'));
    writeFileSync(join(assetsDir, 'webchat.js'), 'window.Webchat = { init() {} };\n');
    writeFileSync(join(assetsDir, 'webchat.3f2a9c1d.js'), '/* hashed */\n');
    mkdirSync(join(assetsDir, 'v1.4.0'));
    writeFileSync(join(assetsDir, 'v1.4.0', 'webchat.js'), '/* versioned */\n');
    writeFileSync(join(assetsDir, '.env'), 'SECRET=1\n');
    upstream = await startTinyUpstream();
    edge = await startEdge({ orchestratorUpstream: `127.0.0.1:${upstream.port}`, assetsDir, proxyReadTimeout: '1s' });
  });

  afterAll(async () => {
    await edge?.stop();
    await upstream?.close();
    rmSync(assetsDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    upstream.handle(defaultHandler);
    upstream.seen.length = 0;
  });

  it('answers /healthz itself, as JSON, without a version in Server', async () => {
    const response = await rawRequest(edge.port, { path: '/healthz' });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.json()).toEqual({ status: 'ok', service: 'starship' });
    expect(response.headers.server).toBe('nginx');
    expect(response.all('x-content-type-options')).toEqual(['nosniff']);
    expect(upstream.seen).toHaveLength(0);
  });

  it('forwards the token route with the connection IP, never a client-sent X-Forwarded-For', async () => {
    const response = await postJson(edge.port, TOKEN, { deploymentKey: 'dk_x' }, { 'x-forwarded-for': '203.0.113.9, 198.51.100.7', 'x-real-ip': '203.0.113.9' });
    expect(response.status).toBe(200);
    expect(upstream.seen).toHaveLength(1);
    const [seen] = upstream.seen;
    expect(seen).toMatchObject({ method: 'POST', url: TOKEN, httpVersion: '1.1', body: '{"deploymentKey":"dk_x"}' });
    expect(seen?.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen?.headers['x-real-ip']).toBe('127.0.0.1');
    expect(seen?.headers.connection).toBeUndefined();
  });

  it('proxies /v2/WebChannels and below, and keeps upstream connections alive between requests', async () => {
    await rawRequest(edge.port, { method: 'POST', path: '/v2/WebChannels', headers: { authorization: 'Bearer t' } });
    await rawRequest(edge.port, { path: `/v2/WebChannels/CH${'0'.repeat(32)}/Messages?after=1` });
    expect(upstream.seen.map((seen) => seen.url)).toEqual(['/v2/WebChannels', `/v2/WebChannels/CH${'0'.repeat(32)}/Messages?after=1`]);
    expect(upstream.seen[0]?.headers.authorization).toBe('Bearer t');
    expect(upstream.seen[1]?.remotePort).toBe(upstream.seen[0]?.remotePort);
  });

  describe('Access-Control-Allow-Origin', () => {
    const withAcao = (acao: string | undefined, status = 200) =>
      upstream.handle((_req, res) => {
        if (acao !== undefined) res.setHeader('access-control-allow-origin', acao);
        res.statusCode = status;
        res.setHeader('content-type', 'application/json');
        res.end('{}');
      });

    it('when the upstream sets one origin, then exactly that one reaches the client', async () => {
      withAcao('http://localhost:3000');
      const response = await postJson(edge.port, TOKEN, {}, { origin: 'http://localhost:3000' });
      expect(response.all('access-control-allow-origin')).toEqual(['http://localhost:3000']);
    });

    it("when the upstream refuses with the diagram's comma-separated list, then the list passes through unchanged, never *", async () => {
      withAcao('http://localhost:3000,https://*.twilio.com', 403);
      const response = await postJson(edge.port, TOKEN, {}, { origin: 'http://evil.example' });
      expect(response.status).toBe(403);
      expect(response.all('access-control-allow-origin')).toEqual(['http://localhost:3000,https://*.twilio.com']);
    });

    it('when the upstream sets none, then *', async () => {
      withAcao(undefined);
      const response = await postJson(edge.port, TOKEN, {});
      expect(response.all('access-control-allow-origin')).toEqual(['*']);
    });

    it('when the upstream sets *, then a single *', async () => {
      withAcao('*');
      const response = await postJson(edge.port, TOKEN, {});
      expect(response.all('access-control-allow-origin')).toEqual(['*']);
    });

    it('passes a preflight to the upstream and its answer back', async () => {
      upstream.handle((req, res) => {
        res.statusCode = 204;
        res.setHeader('access-control-allow-origin', req.headers.origin ?? '*');
        res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
        res.end();
      });
      const response = await rawRequest(edge.port, {
        method: 'OPTIONS',
        path: TOKEN,
        headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' },
      });
      expect(response.status).toBe(204);
      expect(upstream.seen.map((seen) => seen.method)).toEqual(['OPTIONS']);
      expect(response.all('access-control-allow-origin')).toEqual(['http://localhost:3000']);
      expect(response.headers['access-control-allow-methods']).toBe('POST, OPTIONS');
    });
  });

  describe('X-Request-Id', () => {
    it("when the client sends a well-formed one, then it is forwarded and returned (the upstream's copy is not)", async () => {
      const response = await postJson(edge.port, TOKEN, {}, { 'x-request-id': 'client-req:0001.a_b' });
      expect(upstream.seen[0]?.headers['x-request-id']).toBe('client-req:0001.a_b');
      expect(response.all('x-request-id')).toEqual(['client-req:0001.a_b']);
      await expect(waitForLogLine(edge, 'client-req:0001.a_b')).resolves.toMatchObject({ status: 200, path: TOKEN });
    });

    it.each([
      ['too short', 'abc'],
      ['unsafe characters', 'abcdefgh"}{<script>'],
      ['too long', 'a'.repeat(129)],
    ])('when the client sends one that is %s, then nginx makes its own', async (_why, sent) => {
      const response = await postJson(edge.port, TOKEN, {}, { 'x-request-id': sent });
      const [id] = response.all('x-request-id');
      expect(id).toMatch(NGINX_REQUEST_ID);
      expect(upstream.seen[0]?.headers['x-request-id']).toBe(id);
    });

    it('when the client sends none, then the generated one is forwarded and returned', async () => {
      const response = await postJson(edge.port, TOKEN, {});
      expect(response.all('x-request-id')).toHaveLength(1);
      expect(response.headers['x-request-id']).toMatch(NGINX_REQUEST_ID);
      expect(upstream.seen[0]?.headers['x-request-id']).toBe(response.headers['x-request-id']);
    });
  });

  describe('paths that are not public', () => {
    it.each([
      ['GET', '/'],
      ['POST', '/v1/ScopedAuthTokens/generate/internal'],
      ['POST', '/v1/ScopedAuthTokens/validate/internal'],
      ['POST', `/v1/Accounts/AC${'0'.repeat(32)}/Tokens`],
      ['POST', '/v2/Webchat/Token/../../../v1/ScopedAuthTokens/generate/internal'],
      ['POST', '/v2/webchat/token'],
      ['GET', '/readyz'],
      ['GET', '/metrics'],
      ['GET', '/openapi.json'],
    ])('%s %s is a 404 problem and never reaches the upstream', async (method, path) => {
      const response = await rawRequest(edge.port, { method, path, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
      const problem = expectProblem(response, 404, 'not_found');
      expect(problem.type).toBe('https://docs.webchat.example/problems/not_found');
      expect(response.all('access-control-allow-origin')).toEqual(['*']);
      expect(upstream.seen).toHaveLength(0);
    });
  });

  it('when an encoded path climbs above the root, then 400 invalid_request and the upstream sees nothing', async () => {
    const response = await rawRequest(edge.port, { method: 'POST', path: '/v2/WebChannels/..%2F..%2F..%2Fv1/ScopedAuthTokens/generate/internal', body: '{}' });
    expectProblem(response, 400, 'invalid_request');
    expect(upstream.seen).toHaveLength(0);
  });

  describe("nginx's own errors are problem+json with * and the request id", () => {
    it('when the body is over 32 KiB, then 413 before the upstream sees it; exactly 32 KiB passes', async () => {
      const over = await rawRequest(edge.port, { method: 'POST', path: TOKEN, body: 'x'.repeat(32 * 1024 + 1), headers: { 'content-type': 'application/json', 'x-request-id': 'too-big-0001' } });
      const problem = expectProblem(over, 413, 'payload_too_large');
      expect(problem.requestId).toBe('too-big-0001');
      expect(over.all('access-control-allow-origin')).toEqual(['*']);
      expect(upstream.seen).toHaveLength(0);

      const exact = await rawRequest(edge.port, { method: 'POST', path: TOKEN, body: 'x'.repeat(32 * 1024), headers: { 'content-type': 'application/json' } });
      expect(exact.status).toBe(200);
      expect(upstream.seen[0]?.body).toHaveLength(32 * 1024);
    });

    it('when a header or the URI is larger than nginx buffers, then 431 / 414 problem+json, not an HTML page', async () => {
      const bigHeader = await rawRequest(edge.port, { method: 'POST', path: TOKEN, body: '{}', headers: { 'content-type': 'application/json', authorization: `Bearer ${'a'.repeat(9 * 1024)}` } });
      expectProblem(bigHeader, 431, 'request_headers_too_large');
      expect(bigHeader.all('access-control-allow-origin')).toEqual(['*']);
      const bigCookie = await rawRequest(edge.port, { path: '/healthz', headers: { cookie: `c=${'x'.repeat(20 * 1024)}` } });
      expectProblem(bigCookie, 431, 'request_headers_too_large');
      const longUri = await rawRequest(edge.port, { path: `/v2/WebChannels/${'x'.repeat(10 * 1024)}` });
      expectProblem(longUri, 414, 'uri_too_long');
      expect(upstream.seen).toHaveLength(0);
    });

    it('when the upstream does not answer within proxy_read_timeout, then 504 upstream_timeout', async () => {
      upstream.handle((_req, res) => {
        setTimeout(() => res.end('{}'), 2500).unref();
      });
      const response = await postJson(edge.port, TOKEN, {});
      expectProblem(response, 504, 'upstream_timeout');
      expect(response.all('access-control-allow-origin')).toEqual(['*']);
      expect(response.headers['cache-control']).toBe('no-store');
    });

    it("when the upstream answers its own 503 problem, then that body passes through untouched", async () => {
      upstream.handle((_req, res) => {
        res.statusCode = 503;
        res.setHeader('content-type', 'application/problem+json');
        res.setHeader('access-control-allow-origin', 'http://localhost:3000');
        res.end(JSON.stringify({ code: 'store_unavailable', from: 'upstream' }));
      });
      const response = await postJson(edge.port, TOKEN, {});
      expect(response.status).toBe(503);
      expect(response.json()).toEqual({ code: 'store_unavailable', from: 'upstream' });
      expect(response.all('access-control-allow-origin')).toEqual(['http://localhost:3000']);
    });

    it('when the upstream closes the connection without answering, then 502 upstream_error', async () => {
      upstream.handle((req) => req.socket.destroy());
      const response = await postJson(edge.port, TOKEN, {});
      expectProblem(response, 502, 'upstream_error');
      expect(response.all('access-control-allow-origin')).toEqual(['*']);
    });
  });

  describe('/assets/', () => {
    it('serves a content-hashed name with a one-year immutable cache', async () => {
      const response = await rawRequest(edge.port, { path: '/assets/webchat.3f2a9c1d.js' });
      expect(response.status).toBe(200);
      expect(response.text).toBe('/* hashed */\n');
      expect(response.headers['content-type']).toBe('application/javascript; charset=utf-8');
      expect(response.all('cache-control')).toEqual(['public, max-age=31536000, immutable']);
      expect(response.all('x-content-type-options')).toEqual(['nosniff']);
      expect(response.all('access-control-allow-origin')).toEqual(['*']);
    });

    it('serves a versioned folder with the immutable cache too', async () => {
      const response = await rawRequest(edge.port, { path: '/assets/v1.4.0/webchat.js' });
      expect(response.status).toBe(200);
      expect(response.text).toBe('/* versioned */\n');
      expect(response.all('cache-control')).toEqual(['public, max-age=31536000, immutable']);
    });

    it('serves the stable loader name with a short, revalidated cache', async () => {
      const response = await rawRequest(edge.port, { path: '/assets/webchat.js' });
      expect(response.status).toBe(200);
      expect(response.all('cache-control')).toEqual(['public, max-age=300, must-revalidate']);
      expect(response.headers.etag).toBeDefined();
      expect(response.all('x-content-type-options')).toEqual(['nosniff']);
      const again = await rawRequest(edge.port, { path: '/assets/webchat.js', headers: { 'if-none-match': String(response.headers.etag) } });
      expect(again.status).toBe(304);
    });

    it.each(['/assets/missing.js', '/assets/missing.0123abcd.js', '/assets/', '/assets/.env', '/assets/../nginx.conf'])(
      '%s is a 404 problem',
      async (path) => {
        const response = await rawRequest(edge.port, { path });
        expectProblem(response, 404, 'not_found');
      },
    );
  });

  it('logs one JSON line per request with the request id, status and upstream time, never credentials or bodies', async () => {
    const secret = 'sEcReT-token-value-1234567890';
    await postJson(edge.port, `${TOKEN}?deploymentKey=${secret}`, { deploymentKey: secret }, {
      authorization: `Bearer ${secret}`,
      cookie: `session=${secret}`,
      'x-request-id': 'log-check-0001',
    });
    const line = await waitForLogLine(edge, 'log-check-0001');
    expect(line).toMatchObject({ service: 'starship', method: 'POST', path: TOKEN, status: 200, upstreamStatus: '200', remoteAddr: '127.0.0.1' });
    expect(Number(line.upstreamTime)).toBeGreaterThanOrEqual(0);
    expect(typeof line.requestTime).toBe('number');
    expect(edge.accessLogText()).not.toContain(secret);
  });

  it('serves the demo page on both demo ports', async () => {
    for (const port of edge.demoPorts) {
      const response = await rawRequest(port, { path: '/' });
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('text/html');
      expect(response.text).toContain('"deploymentKey":"dk_test_0123456789abcdef"');
      expect(response.text).not.toContain('__WEBCHAT_DEMO_CONFIG__');
    }
  });
});

describe('Starship with no upstream listening', () => {
  let edge: EdgeUnderTest;

  beforeAll(async () => {
    edge = await startEdge({ orchestratorUpstream: `127.0.0.1:${await getFreePort()}` });
  });
  afterAll(async () => edge?.stop());

  it('when the orchestrator is not running, then 502 upstream_error as JSON with * and the request id', async () => {
    const response = await postJson(edge.port, TOKEN, { deploymentKey: 'dk_x' }, { origin: 'http://localhost:3000', 'x-request-id': 'no-upstream-0001' });
    const problem = expectProblem(response, 502, 'upstream_error');
    expect(problem.requestId).toBe('no-upstream-0001');
    expect(response.all('access-control-allow-origin')).toEqual(['*']);
    expect(response.headers['access-control-expose-headers']).toBe('X-Request-Id, Retry-After');
  });
});

describe('Starship rate limit on the token routes and conversation creation', () => {
  let upstream: TinyUpstream;
  let edge: EdgeUnderTest;

  beforeAll(async () => {
    upstream = await startTinyUpstream();
    edge = await startEdge({ orchestratorUpstream: `127.0.0.1:${upstream.port}`, tokenRate: '1r/m', tokenBurst: 1 });
  });
  afterAll(async () => {
    await edge?.stop();
    await upstream?.close();
  });

  it('when one address goes over the rate, then 429 rate_limited with Retry-After on minting, refreshing and creating a conversation; preflights and reads are not counted', async () => {
    const statuses: number[] = [];
    let limited: RawResponse | undefined;
    for (let i = 0; i < 4; i += 1) {
      const response = await postJson(edge.port, TOKEN, {});
      statuses.push(response.status);
      if (response.status === 429) limited = response;
    }
    expect(statuses).toEqual([200, 200, 429, 429]);
    if (!limited) throw new Error('never limited');
    expectProblem(limited, 429, 'rate_limited');
    expect(limited.headers['retry-after']).toBe('60');
    expect(limited.all('access-control-allow-origin')).toEqual(['*']);

    const refresh = await postJson(edge.port, '/v2/Webchat/Tokens/Refresh', {});
    expect(refresh.status).toBe(429);
    const preflight = await rawRequest(edge.port, { method: 'OPTIONS', path: TOKEN, headers: { origin: 'http://localhost:3000' } });
    expect(preflight.status).toBe(200);
    const create = await rawRequest(edge.port, { method: 'POST', path: '/v2/WebChannels', body: '{}' });
    expectProblem(create, 429, 'rate_limited');
    const before = upstream.seen.length;
    const read = await rawRequest(edge.port, { path: `/v2/WebChannels/CH${'0'.repeat(32)}/Messages` });
    expect(read.status).toBe(200);
    expect(upstream.seen.length).toBe(before + 1);
  });
});

describe("Starship's per-token limit, as configured (STARSHIP_TOKEN_USE_RATE, STARSHIP_TOKEN_USE_BURST)", () => {
  let upstream: TinyUpstream;
  let edge: EdgeUnderTest;
  const messages = `/v2/WebChannels/CH${'1'.repeat(32)}/Messages`;
  const read = (authorization: string) => rawRequest(edge.port, { path: messages, headers: { authorization } });

  beforeAll(async () => {
    upstream = await startTinyUpstream();
    // Read from the environment as `pnpm start`, Starship alone and the image build read it.
    const limits = loadStarshipLimits({ STARSHIP_TOKEN_USE_RATE: '1r/m', STARSHIP_TOKEN_USE_BURST: '2' });
    edge = await startEdge({ orchestratorUpstream: `127.0.0.1:${upstream.port}`, ...limits });
  });
  afterAll(async () => {
    await edge?.stop();
    await upstream?.close();
  });

  it('when one token goes over the configured rate and burst, then 429 rate_limited at the edge, however the header spells Bearer; another token is not held back', async () => {
    const token = `eyJ${'a'.repeat(40)}.token-one`;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await read(`Bearer ${token}`)).status);
    expect(statuses).toEqual([200, 200, 200]);
    const seen = upstream.seen.length;
    for (const spelling of [`Bearer ${token}`, `bearer ${token}`, `BEARER   ${token}`, `Bearer\t${token}`]) {
      expectProblem(await read(spelling), 429, 'rate_limited');
    }
    expect(upstream.seen.length).toBe(seen);
    expect((await read(`Bearer eyJ${'b'.repeat(40)}.token-two`)).status).toBe(200);
  });
});

describe('Starship with an invalid limit', () => {
  it.each([
    ['STARSHIP_TOKEN_USE_RATE', 'fast'],
    ['STARSHIP_TOKEN_USE_RATE', '0r/s'],
    ['STARSHIP_TOKEN_USE_BURST', '0'],
    ['STARSHIP_TOKEN_RATE', '10r/h'],
    ['STARSHIP_TOKEN_BURST', 'many'],
  ])('when %s is %j, then the configuration is refused naming the variable', (name, value) => {
    expect(() => loadStarshipLimits({ [name]: value })).toThrow(new RegExp(`^Invalid configuration:\\n  - ${name}: `));
  });

  it('when Starship alone is started with an invalid limit, then it exits 1 naming the variable, before nginx starts', () => {
    const started = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'services/starship/src/start.ts')], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', STARSHIP_TOKEN_USE_RATE: '5 per second', STARSHIP_PREFIX: join(tmpdir(), 'starship-never-started') },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect({ status: started.status, stderr: started.stderr }).toEqual({ status: 1, stderr: expect.stringContaining('STARSHIP_TOKEN_USE_RATE: must be a rate like 10r/s') });
    expect(started.stderr).not.toContain('nginx on http');
  }, 60_000);
});
