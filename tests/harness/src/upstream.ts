import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  httpVersion: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The upstream side of nginx's connection: the same port twice means a kept-alive socket was reused. */
  remotePort: number;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

export interface TinyUpstream {
  port: number;
  /** Every request that reached the upstream, oldest first. */
  seen: SeenRequest[];
  /** Replace the behaviour for the next requests. */
  handle(handler: Handler): void;
  close(): Promise<void>;
}

/** Answers like the orchestrator's happy path by default: 200 JSON with its own ACAO and request id. */
export const defaultHandler: Handler = (_req, res) => {
  res.setHeader('content-type', 'application/json');
  res.setHeader('x-request-id', 'upstream-made-this-id');
  res.end(JSON.stringify({ ok: true }));
};

/** A stand-in orchestrator that records what nginx forwards. */
export async function startTinyUpstream(): Promise<TinyUpstream> {
  const seen: SeenRequest[] = [];
  let handler: Handler = defaultHandler;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', httpVersion: req.httpVersion, headers: req.headers, body, remotePort: req.socket.remotePort ?? 0 });
      handler(req, res, body);
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    handle: (next) => {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
