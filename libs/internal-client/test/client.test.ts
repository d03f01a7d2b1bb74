import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { SERVER_KEEP_ALIVE_TIMEOUT_MS, createServiceApp, listen, requireCaller, type RunningServer } from '@webchat/http-kit';
import { createLogger, requestContext } from '@webchat/logger';
import { ServiceTokenSigner, ServiceTokenVerifier } from '@webchat/service-auth';
import { CLIENT_IDLE_SOCKET_TIMEOUT_MS, CLIENT_KEEP_ALIVE_MARGIN_MS, InternalClient } from '../src';

const Echo = z.strictObject({ caller: z.string(), requestId: z.string().optional(), body: z.unknown() });
const Ok = z.strictObject({ ok: z.literal(true) });

const callerKeys = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const orchestratorKeys = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signer = new ServiceTokenSigner({ issuer: 'federated-auth', privateKey: callerKeys.privateKey });
const verifier = new ServiceTokenVerifier({
  audience: 'scoped-auth',
  publicKeys: { 'federated-auth': callerKeys.publicKey, orchestrator: orchestratorKeys.publicKey },
});
const quiet = createLogger({ service: 'scoped-auth', stream: new Writable({ write: (_chunk, _encoding, done) => done() }) });

const problem = (status: number, code: string) => ({ type: `https://docs.webchat.example/problems/${code}`, title: code, status, detail: `detail of ${code}`, code, requestId: 'upstream-id' });

/** The callee: a real service app, with service auth, on an ephemeral port. */
async function startCallee(keepAliveTimeoutMs?: number) {
  const { app } = createServiceApp({ service: 'scoped-auth', logger: quiet, body: { limit: '16kb' } }, (router) => {
    router.post('/echo', requireCaller(verifier, ['federated-auth']), (req, res) => {
      res.json({ caller: res.locals.caller as string, requestId: req.get('x-request-id'), body: req.body as unknown });
    });
    router.post('/ok', (_req, res) => {
      res.json({ ok: true });
    });
    router.post('/slow', (_req, res) => {
      const timer = setTimeout(() => res.json({ ok: true }), 3000);
      res.on('close', () => clearTimeout(timer));
    });
    router.post('/trickle', (_req, res) => {
      // Headers at once, then a byte every 100 ms for 3 s: never idle, never done in time.
      res.status(200).type('application/json');
      res.write('{"ok":true,"pad":"');
      const timer = setInterval(() => res.write('x'), 100);
      const done = setTimeout(() => res.end('"}'), 3000);
      res.on('close', () => (clearInterval(timer), clearTimeout(done)));
    });
    router.post('/fails', () => {
      throw new Error('database exploded');
    });
    router.post('/status/:status/:code', (req, res) => {
      const status = Number(req.params.status);
      res.status(status).type('application/problem+json').send(JSON.stringify(problem(status, String(req.params.code))));
    });
    router.post('/wrong-shape', (_req, res) => {
      res.json({ ok: 'yes', extra: 1 });
    });
  });
  const running = await listen({ app, port: 0, ...(keepAliveTimeoutMs ? { keepAliveTimeoutMs } : {}) });
  let connections = 0;
  /** When a client ended a connection (its FIN reached us), oldest first. */
  const endedByClient: number[] = [];
  running.server.on('connection', (socket: Socket) => {
    connections += 1;
    socket.once('end', () => endedByClient.push(Date.now()));
  });
  return { running, connections: () => connections, endedByClient: () => endedByClient };
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const clientFor = (baseUrl: string, timeoutMs = 1000) => new InternalClient({ service: 'scoped-auth', baseUrl, signer, timeoutMs });

describe('InternalClient', () => {
  let callee: Awaited<ReturnType<typeof startCallee>>;
  let client: InternalClient;
  const others: { close(): unknown }[] = [];

  beforeAll(async () => {
    callee = await startCallee();
    client = clientFor(callee.running.url);
  });
  afterAll(async () => {
    client.close();
    for (const other of others) await other.close();
    await callee.running.close();
  });

  it('forwards the current request id and a service token the callee accepts', async () => {
    const answer = await requestContext.run({ requestId: 'orchestrator-req-42' }, () => client.post('/echo', { hello: 'world' }, Echo));
    expect(answer).toEqual({ caller: 'federated-auth', requestId: 'orchestrator-req-42', body: { hello: 'world' } });
  });

  it('outside a request, sends no request id (the callee makes its own)', async () => {
    const answer = await client.post('/echo', {}, Echo);
    expect(answer.requestId).toBeUndefined();
  });

  it('when nothing listens on the port, then 503 upstream_unavailable', async () => {
    const down = clientFor(`http://127.0.0.1:${await closedPort()}`);
    others.push(down);
    await expect(down.post('/ok', {}, Ok)).rejects.toMatchObject({ status: 503, code: 'upstream_unavailable' });
  });

  it('when the callee is slower than timeoutMs, then 504 upstream_timeout, near the timeout', async () => {
    const fast = clientFor(callee.running.url, 300);
    others.push(fast);
    const started = Date.now();
    await expect(fast.post('/slow', {}, Ok)).rejects.toMatchObject({ status: 504, code: 'upstream_timeout' });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(800);
  });

  it('when the callee trickles its answer past timeoutMs, then 504 at the deadline (not when it finishes)', async () => {
    const fast = clientFor(callee.running.url, 500);
    others.push(fast);
    const started = Date.now();
    await expect(fast.post('/trickle', {}, z.object({ ok: z.literal(true) }))).rejects.toMatchObject({ status: 504, code: 'upstream_timeout' });
    expect(Date.now() - started).toBeLessThan(1200);
  });

  it('when the callee fails with a 500, then 502 upstream_error, without its internals', async () => {
    const err = await client.post('/fails', {}, Ok).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 502, code: 'upstream_error' });
    expect((err as Error).message).not.toContain('database exploded');
  });

  it.each([502, 503, 504])('when the callee answers %i, then 502 upstream_error', async (status) => {
    await expect(client.post(`/status/${status}/upstream_unavailable`, {}, Ok)).rejects.toMatchObject({ status: 502, code: 'upstream_error' });
  });

  it("when the callee refuses the guest's token (401 token_invalid), then that passes through", async () => {
    await expect(client.post('/status/401/token_invalid', {}, Ok)).rejects.toMatchObject({ status: 401, code: 'token_invalid', message: 'detail of token_invalid' });
  });

  it('when the callee refuses our service token (401 service_token_invalid), then 502: it is our fault, not the guest\'s', async () => {
    await expect(client.post('/status/401/service_token_invalid', {}, Ok)).rejects.toMatchObject({ status: 502, code: 'upstream_error' });
  });

  it('when the callee refuses us as a caller (403 caller_not_allowed), then 502', async () => {
    const orchestrator = new ServiceTokenSigner({ issuer: 'orchestrator', privateKey: orchestratorKeys.privateKey });
    const notAllowed = new InternalClient({ service: 'scoped-auth', baseUrl: callee.running.url, signer: orchestrator, timeoutMs: 1000 });
    others.push(notAllowed);
    await expect(notAllowed.post('/echo', {}, Echo)).rejects.toMatchObject({ status: 502, code: 'upstream_error', message: expect.stringContaining('caller_not_allowed') });
  });

  it('when a 200 body does not match the response schema, then 502', async () => {
    await expect(client.post('/wrong-shape', {}, Ok)).rejects.toMatchObject({ status: 502, code: 'upstream_error' });
  });

  it('reuses a few keep-alive sockets for many sequential calls', async () => {
    const own = await startCallee();
    const reuse = clientFor(own.running.url);
    try {
      for (let i = 0; i < 25; i += 1) await reuse.post('/ok', {}, Ok);
      expect(own.connections()).toBeLessThanOrEqual(2);
    } finally {
      reuse.close();
      await own.running.close();
    }
  });

  it("gives up an idle socket before the server would close it (below the server's keepAliveTimeout)", async () => {
    const own = await startCallee(3000);
    const idle = clientFor(own.running.url);
    try {
      expect(CLIENT_IDLE_SOCKET_TIMEOUT_MS).toBeLessThan(SERVER_KEEP_ALIVE_TIMEOUT_MS);
      await idle.post('/ok', {}, Ok);
      const answeredAt = Date.now();
      // The server announces 3 s (Keep-Alive: timeout=3); the client closes first, so it never writes into a closing socket.
      while (own.endedByClient().length === 0 && Date.now() - answeredAt < 3500) await delay(25);
      expect(own.endedByClient()).toHaveLength(1);
      expect(own.endedByClient()[0]! - answeredAt).toBeLessThan(3000 - CLIENT_KEEP_ALIVE_MARGIN_MS / 2);
      expect(own.connections()).toBe(1);
    } finally {
      await idle.close();
      await own.running.close();
    }
  });
});
