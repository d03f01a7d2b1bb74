import { getFreePort } from '@webchat/testkit';
import { ServiceIdentities } from '@webchat/test-harness';
import { ACCOUNT_SID, startScopedAuth, type ScopedAuthUnderTest } from '@webchat/test-harness';
import type { HttpResult } from '@webchat/test-harness';
import { startFakeUpstream, startFederatedAuth, type FakeUpstream, type FederatedAuthUnderTest } from '@webchat/test-harness';

const TIMEOUT_MS = 300;

describe('federated-auth when scoped-auth misbehaves: a mapped problem, never a 500, never a hang', () => {
  const services = new ServiceIdentities();
  const cleanup: Array<() => Promise<void>> = [];
  const federatedIn = async (scopedAuthUrl: string, identities = services): Promise<FederatedAuthUnderTest> => {
    const fas = await startFederatedAuth({ services: identities, scopedAuthUrl, timeoutMs: TIMEOUT_MS });
    cleanup.push(() => fas.close());
    return fas;
  };
  const fake = async (handler: Parameters<typeof startFakeUpstream>[0]): Promise<FakeUpstream> => {
    const upstream = await startFakeUpstream(handler);
    cleanup.push(() => upstream.close());
    return upstream;
  };
  const expectProblem = (res: HttpResult, status: number, code: string) => {
    expect({ status: res.status, code: res.body.code, type: res.contentType.split(';')[0] }).toEqual({ status, code, type: 'application/problem+json' });
    expect(res.body.detail).not.toMatch(/ECONN|127\.0\.0\.1|stack|at /);
  };

  afterAll(async () => {
    for (const close of cleanup.reverse()) await close();
  });

  test('when scoped-auth is unreachable (nothing listens), then 503 upstream_unavailable, quickly', async () => {
    const port = await getFreePort();
    const fas = await federatedIn(`http://127.0.0.1:${port}`);
    const started = Date.now();
    expectProblem(await fas.issue(ACCOUNT_SID, {}), 503, 'upstream_unavailable');
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1500);
  });

  test('when scoped-auth answers slower than the timeout, then 504 upstream_timeout at about the timeout', async () => {
    const slow = await fake((_req, res) => {
      const timer = setTimeout(() => res.end('{}'), 5000);
      res.on('close', () => clearTimeout(timer));
    });
    const fas = await federatedIn(slow.url);
    const started = Date.now();
    expectProblem(await fas.issue(ACCOUNT_SID, { fingerprint: 'fp' }), 504, 'upstream_timeout');
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 1500);
    expect(slow.hits).toBe(1);
  });

  test('when scoped-auth trickles its answer byte by byte past the timeout, then still 504', async () => {
    const trickle = await fake((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    });
    const fas = await federatedIn(trickle.url);
    const started = Date.now();
    expectProblem(await fas.issue(ACCOUNT_SID, {}), 504, 'upstream_timeout');
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1500);
  });

  test('when scoped-auth answers 500, then 502 upstream_error', async () => {
    const failing = await fake((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'x', title: 'Internal error', status: 500, detail: 'boom', code: 'internal_error', requestId: 'r' }));
    });
    const fas = await federatedIn(failing.url);
    expectProblem(await fas.issue(ACCOUNT_SID, {}), 502, 'upstream_error');
  });

  test('when scoped-auth answers 200 with a body that is not a token, then 502 upstream_error', async () => {
    const lying = await fake((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token: '', identity: 'nobody' }));
    });
    const fas = await federatedIn(lying.url);
    expectProblem(await fas.issue(ACCOUNT_SID, {}), 502, 'upstream_error');
  });

  test('when scoped-auth drops the connection mid-request, then 503 upstream_unavailable', async () => {
    const dropping = await fake((req) => req.socket.destroy());
    const fas = await federatedIn(dropping.url);
    expectProblem(await fas.issue(ACCOUNT_SID, {}), 503, 'upstream_unavailable');
  });

  test('when scoped-auth answers a 400 (contract drift between the services), then 502 upstream_error', async () => {
    const drifted = await fake((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'x', title: 't', status: 400, detail: 'grants: unknown field', code: 'invalid_request', requestId: 'r' }));
    });
    const fas = await federatedIn(drifted.url);
    expectProblem(await fas.issue(ACCOUNT_SID, {}), 502, 'upstream_error');
  });

  test('when the real scoped-auth refuses federated-auth\'s service token (keys out of sync), then 502 upstream_error', async () => {
    const sas: ScopedAuthUnderTest = await startScopedAuth({ services: new ServiceIdentities() });
    cleanup.push(() => sas.close());
    const fas = await federatedIn(sas.url);
    expectProblem(await fas.issue(ACCOUNT_SID, {}), 502, 'upstream_error');
  });

  test('when scoped-auth comes back after a fault, then the next call succeeds', async () => {
    const port = await getFreePort();
    const fas = await federatedIn(`http://127.0.0.1:${port}`);
    expectProblem(await fas.issue(ACCOUNT_SID, {}), 503, 'upstream_unavailable');
    // Bring a real scoped-auth up on that very port.
    const { createApp } = await import('@webchat/scoped-auth/src/app');
    const { createTokenKeys } = await import('@webchat/scoped-auth/src/domain/keys');
    const { keyMaterial } = await import('@webchat/test-harness');
    const { TEST_TOKEN_SETTINGS } = await import('@webchat/test-harness');
    const { listen } = await import('@webchat/http-kit');
    const { createLogger } = await import('@webchat/logger');
    const { PassThrough } = await import('node:stream');
    const { app } = createApp({
      config: { token: TEST_TOKEN_SETTINGS },
      logger: createLogger({ service: 'scoped-auth', stream: new PassThrough() }),
      keys: await createTokenKeys(keyMaterial()),
      verifier: services.verifier('scoped-auth'),
    });
    const running = await listen({ app, port });
    cleanup.push(() => running.close());
    const res = await fas.issue(ACCOUNT_SID, {});
    expect(res.status).toBe(200);
  });
});
