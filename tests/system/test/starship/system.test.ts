import { randomBytes } from 'node:crypto';
import { Problem, WebchatTokenResponse } from '@webchat/contracts';
import { getFreePort } from '@webchat/testkit';
import { browserHeaders, startSystem, type SystemUnderTest } from '@webchat/test-harness';
import { startEdge, waitForLogLine, type EdgeUnderTest } from '@webchat/test-harness';
import { postJson, rawRequest, type RawResponse } from '@webchat/test-harness';

/*
 * The diagram end to end: real nginx (Starship) in front of the real orchestrator, federated-auth and
 * scoped-auth, with a private PostgreSQL database, everything over HTTP on ephemeral ports.
 */

const TOKEN = '/v2/Webchat/Token';
const REFRESH = '/v2/Webchat/Tokens/Refresh';
const DEMO_ORIGIN = 'http://localhost:3000';

const loggedWith = (lines: string[], requestId: string) =>
  lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.requestId === requestId);

function expectOneAcao(response: RawResponse, value: string): void {
  expect(response.all('access-control-allow-origin')).toEqual([value]);
}

describe('Starship in front of the real services', () => {
  let system: SystemUnderTest;
  let edge: EdgeUnderTest;

  beforeAll(async () => {
    system = await startSystem();
    edge = await startEdge({ orchestratorUpstream: new URL(system.orchestratorUrl).host, tokenRate: '1000r/s', tokenBurst: 1000 });
  });

  afterAll(async () => {
    await edge?.stop();
    await system?.stop();
  });

  afterEach(() => system.setSecurityFlag(false));

  it('a token is minted through the edge', async () => {
    const { deploymentKey } = await system.createAccount({ allowedOrigins: [] });
    const response = await postJson(edge.port, TOKEN, { deploymentKey }, { origin: DEMO_ORIGIN });
    expect(response.status).toBe(200);
    const token = WebchatTokenResponse.parse(response.json());
    expect(token.token.length).toBeGreaterThan(100);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.all('x-content-type-options')).toEqual(['nosniff']);
    expect(response.all('x-request-id')).toHaveLength(1);
  });

  it('a token is minted through the edge with the security flag on, from a form post with the legacy key spelling', async () => {
    system.setSecurityFlag(true);
    const { deploymentKey } = await system.createAccount({ allowedOrigins: [DEMO_ORIGIN], fingerprintSensitivity: 'medium' });
    const response = await rawRequest(edge.port, {
      method: 'POST',
      path: TOKEN,
      body: new URLSearchParams({ DeploymentKey: deploymentKey, customerFriendlyName: 'Ada' }).toString(),
      headers: { ...browserHeaders(), 'content-type': 'application/x-www-form-urlencoded', origin: DEMO_ORIGIN },
    });
    expect(response.status).toBe(200);
    WebchatTokenResponse.parse(response.json());
    expectOneAcao(response, DEMO_ORIGIN);
  });

  describe('Access-Control-Allow-Origin through the edge', () => {
    it('when the account allows every origin (empty list), then *', async () => {
      const { deploymentKey } = await system.createAccount({ allowedOrigins: [] });
      const response = await postJson(edge.port, TOKEN, { deploymentKey }, { origin: 'https://anyone.example' });
      expect(response.status).toBe(200);
      expectOneAcao(response, '*');
    });

    it('when the origin is allowed, then exactly that origin, once', async () => {
      const { deploymentKey } = await system.createAccount({ allowedOrigins: [DEMO_ORIGIN, 'https://*.example.com'] });
      const response = await postJson(edge.port, TOKEN, { deploymentKey }, { origin: 'https://shop.example.com' });
      expect(response.status).toBe(200);
      expectOneAcao(response, 'https://shop.example.com');
      expect(response.headers.vary).toContain('Origin');
    });

    it("when the origin is not allowed, then 403, no token is minted, and the orchestrator's list passes through, never *", async () => {
      const { deploymentKey } = await system.createAccount({ allowedOrigins: [DEMO_ORIGIN, 'https://*.example.com'] });
      const before = await system.federatedTokenCalls();
      const response = await postJson(edge.port, TOKEN, { deploymentKey }, { origin: 'http://localhost:3001' });
      expect(response.status).toBe(403);
      expect(Problem.parse(response.json()).code).toBe('origin_not_allowed');
      expectOneAcao(response, `${DEMO_ORIGIN},https://*.example.com`);
      expect(await system.federatedTokenCalls()).toBe(before);
    });

    it('answers a preflight from the orchestrator, reflecting the origin and allowing the widget headers', async () => {
      const response = await rawRequest(edge.port, {
        method: 'OPTIONS',
        path: TOKEN,
        headers: { origin: DEMO_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-webchat-sec-decoders' },
      });
      expect(response.status).toBe(204);
      expectOneAcao(response, DEMO_ORIGIN);
      expect(String(response.headers['access-control-allow-headers'])).toContain('x-webchat-sec-decoders');
    });

    it("passes the orchestrator's own refusal through (an unknown key), with its ACAO", async () => {
      const response = await postJson(edge.port, TOKEN, { deploymentKey: `dk_${randomBytes(16).toString('hex')}` }, { origin: DEMO_ORIGIN });
      expect(response.status).toBe(403);
      expect(Problem.parse(response.json()).code).toBe('deployment_key_invalid');
      expectOneAcao(response, DEMO_ORIGIN);
    });
  });

  it.each([
    ['GET', TOKEN, 'POST'],
    ['DELETE', REFRESH, 'POST'],
    ['PUT', '/v2/WebChannels', 'POST'],
  ])('when a page sends %s to %s, then 405 with Allow and a readable ACAO, and no token is minted', async (method, path, allow) => {
    const before = await system.federatedTokenCalls();
    const response = await rawRequest(edge.port, { method, path, headers: { ...browserHeaders(), origin: DEMO_ORIGIN, 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(405);
    expect(Problem.parse(response.json()).code).toBe('method_not_allowed');
    expect(response.headers.allow).toBe(allow);
    expectOneAcao(response, DEMO_ORIGIN);
    expect(await system.federatedTokenCalls()).toBe(before);
  });

  it.each([
    '/v1/ScopedAuthTokens/generate/internal',
    '/v1/ScopedAuthTokens/validate/internal',
    `/v1/Accounts/AC${'0'.repeat(32)}/Tokens`,
  ])('POST %s through the edge is a 404 and reaches no service', async (path) => {
    const before = await system.federatedTokenCalls();
    const response = await postJson(edge.port, path, { accountSid: `AC${'0'.repeat(32)}`, grants: {}, ttl: 600 });
    expect(response.status).toBe(404);
    expect(Problem.parse(response.json()).code).toBe('not_found');
    expect(await system.federatedTokenCalls()).toBe(before);
    const requestId = String(response.headers['x-request-id']);
    expect(loggedWith([...system.logs.orchestrator(), ...system.logs.federatedAuth(), ...system.logs.scopedAuth()], requestId)).toEqual([]);
  });

  it('a spoofed X-Forwarded-For does not change the client IP the orchestrator sees', async () => {
    // With sensitivity high the token is bound to the client IP, so the IP the orchestrator used can be tested.
    system.setSecurityFlag(true);
    const { deploymentKey } = await system.createAccount({ allowedOrigins: [], fingerprintSensitivity: 'high' });
    const spoofed = '203.0.113.77';
    const minted = await postJson(edge.port, TOKEN, { deploymentKey }, { ...browserHeaders(), 'x-forwarded-for': spoofed });
    expect(minted.status).toBe(200);
    const { token } = WebchatTokenResponse.parse(minted.json());

    // Straight to the orchestrator (one trusted proxy hop), naming the IP it should have seen: accepted.
    const asConnection = await fetch(`${system.orchestratorUrl}${REFRESH}`, {
      method: 'POST',
      headers: { ...browserHeaders(), 'content-type': 'application/json', 'x-forwarded-for': '127.0.0.1' },
      body: JSON.stringify({ deploymentKey, token }),
    });
    expect(asConnection.status).toBe(200);
    // The same, naming the spoofed address: the token was not bound to it.
    const asSpoofed = await fetch(`${system.orchestratorUrl}${REFRESH}`, {
      method: 'POST',
      headers: { ...browserHeaders(), 'content-type': 'application/json', 'x-forwarded-for': spoofed },
      body: JSON.stringify({ deploymentKey, token }),
    });
    expect(asSpoofed.status).toBe(401);
    expect(((await asSpoofed.json()) as Problem).code).toBe('fingerprint_mismatch');

    // And through the edge, another spoofed value changes nothing.
    const viaEdge = await postJson(edge.port, REFRESH, { deploymentKey, token }, { ...browserHeaders(), 'x-forwarded-for': '198.51.100.1' });
    expect(viaEdge.status).toBe(200);
  });

  describe('X-Request-Id', () => {
    it("is the same in the response and in every service's log lines for that request", async () => {
      const { deploymentKey } = await system.createAccount({ allowedOrigins: [] });
      const requestId = `edge-trace-${randomBytes(6).toString('hex')}`;
      const response = await postJson(edge.port, TOKEN, { deploymentKey }, { 'x-request-id': requestId });
      expect(response.status).toBe(200);
      expect(response.all('x-request-id')).toEqual([requestId]);
      expect(loggedWith(system.logs.orchestrator(), requestId).length).toBeGreaterThan(0);
      expect(loggedWith(system.logs.federatedAuth(), requestId).length).toBeGreaterThan(0);
      expect(loggedWith(system.logs.scopedAuth(), requestId).length).toBeGreaterThan(0);
      await expect(waitForLogLine(edge, requestId)).resolves.toMatchObject({ status: 200, upstreamStatus: '200' });
    });

    it("when the client sends none, then nginx's id is the one every service logs", async () => {
      const { deploymentKey } = await system.createAccount({ allowedOrigins: [] });
      const response = await postJson(edge.port, TOKEN, { deploymentKey });
      const requestId = String(response.headers['x-request-id']);
      expect(requestId).toMatch(/^[0-9a-f]{32}$/);
      expect(loggedWith(system.logs.federatedAuth(), requestId).length).toBeGreaterThan(0);
      expect(loggedWith(system.logs.scopedAuth(), requestId).length).toBeGreaterThan(0);
    });
  });

  it('a body over the 32 KiB limit is refused by the edge (413 JSON) and never reaches the orchestrator', async () => {
    const requestId = `too-big-${randomBytes(6).toString('hex')}`;
    const response = await rawRequest(edge.port, {
      method: 'POST',
      path: TOKEN,
      body: JSON.stringify({ deploymentKey: 'dk_x', preEngagementData: { blob: 'x'.repeat(33 * 1024) } }),
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
    });
    expect(response.status).toBe(413);
    expect(Problem.parse(response.json())).toMatchObject({ code: 'payload_too_large', requestId });
    expectOneAcao(response, '*');
    expect(loggedWith(system.logs.orchestrator(), requestId)).toEqual([]);
  });

  describe('with a tight rate limit', () => {
    let limited: EdgeUnderTest;
    beforeAll(async () => {
      limited = await startEdge({ orchestratorUpstream: new URL(system.orchestratorUrl).host, tokenRate: '1r/m', tokenBurst: 1 });
    });
    afterAll(async () => limited?.stop());

    it('over the rate, then 429 JSON with Retry-After and *, and the orchestrator is not called', async () => {
      const { deploymentKey } = await system.createAccount({ allowedOrigins: [DEMO_ORIGIN] });
      for (const _allowed of [1, 2]) {
        const response = await postJson(limited.port, TOKEN, { deploymentKey }, { origin: DEMO_ORIGIN });
        expect(response.status).toBe(200);
      }
      const before = await system.federatedTokenCalls();
      const second = await postJson(limited.port, TOKEN, { deploymentKey }, { origin: DEMO_ORIGIN });
      expect(second.status).toBe(429);
      expect(Problem.parse(second.json()).code).toBe('rate_limited');
      expect(second.headers['retry-after']).toBe('60');
      expectOneAcao(second, '*');
      expect(await system.federatedTokenCalls()).toBe(before);
    });
  });

  describe('when the orchestrator is stopped', () => {
    let orphan: EdgeUnderTest;
    beforeAll(async () => {
      // A closed port is what a stopped orchestrator looks like to nginx.
      orphan = await startEdge({ orchestratorUpstream: `127.0.0.1:${await getFreePort()}` });
    });
    afterAll(async () => orphan?.stop());

    it('then 502 problem+json with * and the request id', async () => {
      const response = await postJson(orphan.port, TOKEN, { deploymentKey: 'dk_0123456789abcdef' }, { origin: DEMO_ORIGIN, 'x-request-id': 'stopped-0001' });
      expect(response.status).toBe(502);
      expect(response.headers['content-type']).toBe('application/problem+json');
      expect(Problem.parse(response.json())).toMatchObject({ code: 'upstream_error', requestId: 'stopped-0001' });
      expectOneAcao(response, '*');
    });
  });
});
