import { connect } from 'node:net';
import { rawRequest, type RawRequest, type RawResponse } from '@webchat/test-harness';

/** A raw response with how long it took, or how the exchange failed (no response at all). */
export type Exchange =
  | { ok: true; response: RawResponse; ms: number }
  | { ok: false; error: string; ms: number };

/** One request on a fresh connection, never throwing: a transport failure is a result to assert on. */
export async function exchange(port: number, options: RawRequest): Promise<Exchange> {
  const started = performance.now();
  try {
    const response = await rawRequest(port, options);
    return { ok: true, response, ms: performance.now() - started };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error), ms: performance.now() - started };
  }
}

/** Like `exchange`, but a transport failure fails the test at once with what happened. */
export async function send(port: number, options: RawRequest): Promise<RawResponse & { ms: number }> {
  const result = await exchange(port, options);
  if (!result.ok) throw new Error(`${options.method ?? 'GET'} ${options.path}: no response (${result.error}) after ${Math.round(result.ms)} ms`);
  return Object.assign(result.response, { ms: result.ms });
}

/**
 * Bytes as given, for what node's HTTP client refuses to send (bare CR/LF in a header, a request
 * line nginx must reject). Resolves with everything the server sent until it closed or `timeoutMs`.
 */
export function rawExchange(port: number, bytes: string | Buffer, timeoutMs = 5000): Promise<{ text: string; status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error(`raw exchange on :${port} timed out`)), timeoutMs);
    socket.on('connect', () => socket.end(bytes));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ text, status, ms: performance.now() - started });
    });
  });
}

/** The JSON body of a raw HTTP/1.1 response (after the blank line), for a problem sent as one chunk. */
export function rawBody(text: string): string {
  const at = text.indexOf('\r\n\r\n');
  return at < 0 ? '' : text.slice(at + 4);
}

export type { RawResponse };
