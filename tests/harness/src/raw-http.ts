import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Every value of a header as sent, in order: `all('access-control-allow-origin')` proves there is exactly one. */
  all(name: string): string[];
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export interface RawRequest {
  method?: string;
  /** Sent as is: `..` segments and odd casing are not normalised away as fetch() would. */
  path: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Default: a new connection per request (no agent), so one test's socket never leaks into another's. */
  keepAlive?: boolean;
  timeoutMs?: number;
  /**
   * The client address the server sees (any 127.x.y.z reaches 127.0.0.1 on Linux): a fresh one starts with a
   * fresh per-address rate bucket at the edge. Default: the kernel's choice (127.0.0.1).
   */
  localAddress?: string;
}

/** A raw HTTP/1.1 request to 127.0.0.1:port; never throws on an HTTP status. */
export function rawRequest(port: number, options: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...options.headers },
        agent: false,
        timeout: options.timeoutMs ?? 15_000,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const raw = res.rawHeaders;
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            all: (name) => raw.flatMap((value, i) => (i % 2 === 1 && raw[i - 1]?.toLowerCase() === name.toLowerCase() ? [value] : [])),
            text,
            json: <T>() => JSON.parse(text) as T,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request to :${port}${options.path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

export const postJson = (port: number, path: string, body: unknown, headers: Record<string, string> = {}) =>
  rawRequest(port, { method: 'POST', path, body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
