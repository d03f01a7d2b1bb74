import http from 'node:http';
import { init } from '@launchdarkly/node-server-sdk';
import { createLogger } from '@webchat/logger';
import { PassThrough } from 'node:stream';
import { ldLogger } from '@webchat/orchestrator/src/data-access/launchdarkly';
import { WEBCHAT_TOKEN_PATH } from '@webchat/contracts';
import { getFreePort } from '@webchat/testkit';
import { browserHeaders, call, removeOwnClusters, startOwnCluster, startSystem, type SystemUnderTest } from '@webchat/test-harness';

const mint = (system: SystemUnderTest, deploymentKey: string) =>
  call(`${system.orchestratorUrl}${WEBCHAT_TOKEN_PATH}`, { json: { deploymentKey }, headers: { ...browserHeaders(), origin: 'https://shop.example.com' } });

/** A real HTTP server that answers with `status`, or never within the test (`hang`). */
async function fakeFederatedAuth(behaviour: { status: number } | 'hang'): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (behaviour === 'hang') return; // holds the socket: the caller's timeout must fire
    res.writeHead(behaviour.status, { 'content-type': 'application/json' }).end('{"oops":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('when federated-auth fails, the orchestrator answers with a problem, never a 500 or a hang', () => {
  test('unreachable (a closed port) → 503 upstream_unavailable, with ACAO', async () => {
    const system = await startSystem({ federatedAuthUrl: `http://127.0.0.1:${await getFreePort()}` });
    try {
      const { deploymentKey } = await system.createAccount();
      const reply = await mint(system, deploymentKey);
      expect(reply.status).toBe(503);
      expect(reply.body.code).toBe('upstream_unavailable');
      expect(reply.headers.get('access-control-allow-origin')).toBe('*');
    } finally {
      await system.stop();
    }
  });

  test('slower than the timeout → 504 upstream_timeout, answered near the timeout', async () => {
    const slow = await fakeFederatedAuth('hang');
    const system = await startSystem({ federatedAuthUrl: slow.url, federatedAuthTimeoutMs: 300 });
    try {
      const { deploymentKey } = await system.createAccount();
      const started = Date.now();
      const reply = await mint(system, deploymentKey);
      expect(reply.status).toBe(504);
      expect(reply.body.code).toBe('upstream_timeout');
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await system.stop();
      await slow.close();
    }
  });

  test('a 5xx → 502 upstream_error, without the upstream body', async () => {
    const broken = await fakeFederatedAuth({ status: 500 });
    const system = await startSystem({ federatedAuthUrl: broken.url });
    try {
      const { deploymentKey } = await system.createAccount();
      const reply = await mint(system, deploymentKey);
      expect(reply.status).toBe(502);
      expect(reply.body.code).toBe('upstream_error');
      expect(reply.text).not.toContain('oops');
    } finally {
      await system.stop();
      await broken.close();
    }
  });
});

describe('when LaunchDarkly is not initialised, the configured fallback decides', () => {
  const unreachableLaunchDarkly = async () => {
    const port = await getFreePort();
    const base = `http://127.0.0.1:${port}`;
    return init('sdk-key-for-a-closed-port', { baseUri: base, streamUri: base, eventsUri: base, sendEvents: false, diagnosticOptOut: true, stream: true,
      logger: ldLogger(createLogger({ service: 'orchestrator', stream: new PassThrough() })) });
  };

  test.each([
    [true, 'bound', 'fingerprint_required'],
    [false, 'unbound', undefined],
  ])('fallback %s → the token is %s', async (fallback, _bound, expectedCode) => {
    const system = await startSystem({ ldClient: await unreachableLaunchDarkly(), fallback });
    try {
      const { deploymentKey } = await system.createAccount({ fingerprintSensitivity: 'medium' });
      const reply = await mint(system, deploymentKey);
      expect(reply.status).toBe(200);
      const validated = await system.scopedAuth.validate(reply.body.token);
      expect(validated.body.code).toBe(expectedCode);
      expect(validated.status).toBe(expectedCode ? 401 : 200);
    } finally {
      await system.stop();
    }
  });
});

describe('when Postgres goes down', () => {
  // Also when the test times out before its `finally`: the cluster of its own must not outlive the run.
  afterAll(removeOwnClusters);

  test('then 503 store_unavailable within a bounded time and /readyz says not ready; it recovers by itself when Postgres is back', async () => {
    const cluster = await startOwnCluster('orchestrator-pg-');
    const system = await startSystem({ databaseUrl: cluster.url });
    try {
      const { deploymentKey } = await system.createAccount();
      expect((await mint(system, deploymentKey)).status).toBe(200);

      await cluster.stop();
      const started = Date.now();
      const down = await mint(system, deploymentKey);
      expect(down.status).toBe(503);
      expect(down.body.code).toBe('store_unavailable');
      expect(Date.now() - started).toBeLessThan(5000);
      const ready = await call(`${system.orchestratorUrl}/readyz`);
      expect(ready.status).toBe(503);
      expect(ready.body.checks.store).toBe('failing');

      await cluster.restart();
      let status = 0;
      for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
        status = (await mint(system, deploymentKey)).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(200);
      expect((await call(`${system.orchestratorUrl}/readyz`)).status).toBe(200);
    } finally {
      await system.stop();
      await cluster.remove();
    }
  });
});
