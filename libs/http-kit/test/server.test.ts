import http from 'node:http';
import { createServiceApp, listen, SERVER_KEEP_ALIVE_TIMEOUT_MS, type RunningServer } from '../src';
import { capturingLogger } from './helpers';

function slowApp(delayMs: number) {
  const { logger } = capturingLogger('drain-test');
  return createServiceApp({ service: 'drain-test', logger, body: { limit: '1kb' } }, (app) => {
    app.get('/slow', (_req, res) => {
      setTimeout(() => res.json({ done: true }), delayMs);
    });
  });
}

/** A GET over a keep-alive agent, as our internal client and nginx make them. */
function get(url: string, agent: http.Agent): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders; at: number }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers, at: Date.now() }));
      })
      .on('error', reject);
  });
}

describe('listen', () => {
  const agent = new http.Agent({ keepAlive: true });
  let running: RunningServer | undefined;

  afterEach(async () => {
    await running?.close();
    running = undefined;
  });
  afterAll(() => agent.destroy());

  it('listens on an ephemeral port and reports its url', async () => {
    running = await listen({ app: slowApp(0).app, port: 0 });
    expect(running.port).toBeGreaterThan(0);
    expect(running.url).toBe(`http://127.0.0.1:${running.port}`);
  });

  it('sets a keep-alive timeout that clients can see, with headersTimeout above it', async () => {
    running = await listen({ app: slowApp(0).app, port: 0 });
    expect(running.server.keepAliveTimeout).toBe(SERVER_KEEP_ALIVE_TIMEOUT_MS);
    expect(running.server.headersTimeout).toBeGreaterThan(running.server.keepAliveTimeout);
    const res = await get(`${running.url}/healthz`, agent);
    expect(res.headers['keep-alive']).toBe(`timeout=${SERVER_KEEP_ALIVE_TIMEOUT_MS / 1000}`);
  });

  it('close() lets an in-flight slow request finish, then resolves promptly, even over a keep-alive connection', async () => {
    const { app, lifecycle } = slowApp(400);
    running = await listen({ app, port: 0, lifecycle, drainTimeoutMs: 8000 });
    const { url } = running;
    // Warm the keep-alive connection first: the in-flight request then rides on a reused socket.
    await get(`${url}/healthz`, agent);
    const inFlight = get(`${url}/slow`, agent);
    await new Promise((resolve) => setTimeout(resolve, 100));

    const closeStarted = Date.now();
    let closedAt = 0;
    const closed = running.close().then(() => (closedAt = Date.now()));
    expect(lifecycle.draining).toBe(true);

    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ done: true });
    await closed;
    expect(closedAt).toBeGreaterThanOrEqual(res.at - 50);
    // Far below the drain timeout: the connection was closed once answered, not forced at the end.
    expect(closedAt - closeStarted).toBeLessThan(2000);
    await expect(get(`${url}/healthz`, new http.Agent())).rejects.toThrow(/ECONNREFUSED/);
  });

  it('close() is idempotent', async () => {
    running = await listen({ app: slowApp(0).app, port: 0 });
    await Promise.all([running.close(), running.close()]);
    await running.close();
  });

  it('refuses to listen on a port already taken', async () => {
    running = await listen({ app: slowApp(0).app, port: 0 });
    await expect(listen({ app: slowApp(0).app, port: running.port })).rejects.toThrow(/EADDRINUSE/);
  });
});
