/**
 * The floor the token path is compared with (issue 17): one hop of a reference chain of the token
 * path's shape, with none of the project's plumbing. Started three times per chain behind its own
 * Starship, like the echo chain. Two kinds:
 *   REF_KIND=raw      node:http server, node:http keep-alive agent to the next hop, no framework
 *   REF_KIND=express  bare Express 5 + express.json() + axios (its default adapter, keep-alive agent)
 * They stay as they are (no cheaper client, no tuning): a cheaper client in our services then shows as
 * a gain against them. Only the benchmark starts this (`node --import tsx scripts/bench/reference-hop.ts`).
 */
import http from 'node:http';
import axios from 'axios';
import express from 'express';
import { SCOPED_AUTH_GENERATE_PATH, federatedTokensPath } from '@webchat/contracts';
import { SERVER_KEEP_ALIVE_TIMEOUT_MS } from '@webchat/http-kit';

const KINDS = ['raw', 'express'] as const;
type Kind = (typeof KINDS)[number];

interface ReferenceEnv {
  kind: Kind;
  host: string;
  port: number;
  /** Base URL of the next hop; absent on the last hop, which answers a canned token. */
  nextUrl: string | undefined;
  /** Path on the next hop (the real one, so the shape matches the token path). */
  nextPath: string;
  tokenLength: number;
}

const BENCH_ACCOUNT_SID = `AC${'e'.repeat(32)}`;

function readEnv(env: NodeJS.ProcessEnv): ReferenceEnv {
  const kind = env.REF_KIND as Kind;
  const port = Number(env.PORT);
  const problems = [
    ...(KINDS.includes(kind) ? [] : [`REF_KIND must be one of ${KINDS.join(', ')}`]),
    ...(Number.isInteger(port) && port > 0 && port < 65536 ? [] : ['PORT must be a port']),
  ];
  if (problems.length > 0) throw new Error(problems.join('; '));
  return {
    kind,
    host: env.HOST || '127.0.0.1',
    port,
    nextUrl: env.REF_NEXT_URL || undefined,
    // Hop 1 calls federated-auth's path, hop 2 scoped-auth's, as the real chain does.
    nextPath: env.REF_NEXT_PATH === 'scoped' ? SCOPED_AUTH_GENERATE_PATH : federatedTokensPath(BENCH_ACCOUNT_SID),
    tokenLength: Number(env.ECHO_TOKEN_LENGTH || 900),
  };
}

const cannedAnswer = (tokenLength: number) =>
  JSON.stringify({ token: 'x'.repeat(tokenLength), identity: '00000000-0000-4000-8000-000000000000', expiresAt: new Date(Date.now() + 3_600_000).toISOString() });

function rawServer(env: ReferenceEnv): http.Server {
  const canned = cannedAnswer(env.tokenLength);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const next = env.nextUrl ? new URL(env.nextUrl) : undefined;
  const answer = (res: http.ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(body);
  };
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      // The runner's readiness poll is the only GET.
      if (req.method === 'GET') return answer(res, 200, '{"status":"ready"}');
      if (!next) return answer(res, 200, canned);
      const body = Buffer.concat(chunks);
      const call = http.request(
        { host: next.hostname, port: next.port, path: env.nextPath, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
        (reply) => {
          const parts: Buffer[] = [];
          reply.on('data', (chunk: Buffer) => parts.push(chunk));
          reply.on('end', () => answer(res, reply.statusCode ?? 502, Buffer.concat(parts).toString('utf8')));
        },
      );
      call.on('error', () => answer(res, 502, '{"code":"upstream_unavailable"}'));
      call.end(body);
    });
  });
}

function expressServer(env: ReferenceEnv): http.Server {
  const canned = JSON.parse(cannedAnswer(env.tokenLength)) as unknown;
  const app = express();
  app.use(express.json());
  const client = env.nextUrl ? axios.create({ baseURL: env.nextUrl, httpAgent: new http.Agent({ keepAlive: true, maxSockets: 256 }) }) : undefined;
  app.get('/readyz', (_req, res) => {
    res.json({ status: 'ready' });
  });
  app.post('*splat', async (req, res) => {
    if (!client) {
      res.set('Cache-Control', 'no-store').json(canned);
      return;
    }
    try {
      const { data } = await client.post(env.nextPath, req.body ?? {});
      res.set('Cache-Control', 'no-store').json(data);
    } catch {
      res.status(502).json({ code: 'upstream_unavailable' });
    }
  });
  return http.createServer(app);
}

function main(): void {
  const env = readEnv(process.env);
  const server = env.kind === 'raw' ? rawServer(env) : expressServer(env);
  // The reference client (axios's default agent, as the issue defines the chain) has no idle limit of its own, so a
  // socket it reuses at the moment this server closes it resets: 2 of 108 answers were 502 once in CI, after the
  // chain had idled while other scenarios ran. The services avoid that with a client idle timeout below the
  // server's; here the server keeps idle sockets longer than any pause in a run instead.
  server.keepAliveTimeout = Math.max(SERVER_KEEP_ALIVE_TIMEOUT_MS, 10 * 60_000);
  server.listen(env.port, env.host, () => process.stdout.write(`${JSON.stringify({ level: 'info', message: 'listening', kind: env.kind, port: env.port })}\n`));
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
