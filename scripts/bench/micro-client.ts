/**
 * CPU per internal call in the calling process (issue 17): axios with its default http adapter (the
 * InternalClient's transport before), axios over undici (InternalClient now), and undici alone (the
 * floor). The callee is a raw node:http server in a child process answering a token-sized body, so only
 * the client's work is counted. Same request on each side: a JSON body, a service token and a request id.
 *   node --import tsx scripts/bench/micro-client.ts [calls per side per round] [rounds] [in flight]
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { once } from 'node:events';
import axios from 'axios';
import { CLIENT_IDLE_SOCKET_TIMEOUT_MS, InternalClient } from '@webchat/internal-client';
import type { ServiceTokenSigner } from '@webchat/service-auth';
import { compareSides, concurrently, renderSides } from './micro';

const [count = 5000, rounds = 5, inFlight = 10] = process.argv.slice(2).map(Number);
const TIMEOUT_MS = 3000;

const CALLEE = `
const canned = JSON.stringify({ token: 'x'.repeat(900), identity: '00000000-0000-4000-8000-000000000000', expiresAt: new Date(Date.now() + 3600000).toISOString() });
const server = require('node:http').createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(canned) }).end(canned));
});
server.keepAliveTimeout = 10000;
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

const PATH = `/v1/accounts/AC${'e'.repeat(32)}/tokens`;
const BODY = { accountSid: `AC${'e'.repeat(32)}`, grants: { webchat: { role: 'guest', accountSid: `AC${'e'.repeat(32)}` } } };
const HEADERS = { authorization: `Bearer ${'e'.repeat(240)}`, 'x-request-id': '5f0c6f2e-3d1b-4a8e-9c57-1f2d3e4a5b6c' };

async function main(): Promise<void> {
  const callee = spawn(process.execPath, ['-e', CALLEE], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(callee.stdout, 'data')) as [Buffer];
  const baseUrl = `http://127.0.0.1:${line.toString().trim()}`;

  // Before: the InternalClient's transport as it was (axios' http adapter, a keep-alive agent, one deadline timer per call).
  const agent = new http.Agent({ keepAlive: true, timeout: CLIENT_IDLE_SOCKET_TIMEOUT_MS, maxSockets: 256, scheduling: 'lifo' });
  const before = axios.create({
    baseURL: baseUrl,
    httpAgent: agent,
    timeout: TIMEOUT_MS,
    maxRedirects: 0,
    proxy: false,
    validateStatus: () => true,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    transitional: { clarifyTimeoutError: true },
  });
  const callBefore = async () => {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), TIMEOUT_MS);
    try {
      return await before.request({ method: 'post', url: PATH, data: BODY, headers: { ...HEADERS }, signal: deadline.signal });
    } finally {
      clearTimeout(timer);
    }
  };
  // After: the InternalClient's own axios instance (undici adapter); the signer is not used by `http`.
  const client = new InternalClient({ service: 'callee', baseUrl, signer: {} as ServiceTokenSigner, timeoutMs: TIMEOUT_MS });
  const callAfter = () => client.http.request({ method: 'post', url: PATH, data: BODY, headers: { ...HEADERS } });
  // The floor: undici alone, the same request.
  const callFloor = async () => {
    const reply = await client.pool.request({
      method: 'POST',
      path: PATH,
      body: JSON.stringify(BODY),
      headers: { ...HEADERS, 'content-type': 'application/json', accept: 'application/json' },
    });
    return reply.body.json();
  };

  for (const call of [callBefore, callAfter, callFloor]) {
    const { status, data } = (await call()) as { status?: number; data?: unknown };
    if (status !== undefined && (status !== 200 || typeof (data as { token?: unknown }).token !== 'string')) throw new Error('the callee did not answer as expected');
  }
  const sides = [
    { name: 'axios, http adapter + keep-alive agent (before)', run: (n: number) => concurrently(n, inFlight, callBefore) },
    { name: 'axios, undici adapter (InternalClient now)', run: (n: number) => concurrently(n, inFlight, callAfter) },
    { name: 'undici Pool.request alone (floor)', run: (n: number) => concurrently(n, inFlight, callFloor) },
  ];
  const results = await compareSides(sides, { count, rounds, warmup: Math.min(count, 2000) });
  process.stdout.write(`Node ${process.version}, ${count} calls per side per round, ${rounds} rounds, ${inFlight} in flight\n${renderSides(results, 'call')}\n`);
  agent.destroy();
  await client.close();
  callee.kill();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
