import { readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

function probePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the port of a probe socket'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/**
 * Ports this process has handed out. The kernel may give a just-closed probe port again, so two calls
 * in a row (an edge port, then its demo ports) could return the same number before either is bound.
 */
const handedOut = new Set<number>();

/** Asks the kernel for an unused port, never one this process was given before; another process may still grab it before you bind. */
export async function getFreePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await probePort(host);
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no new free port after 50 probes');
}

/**
 * A free port below the kernel's ephemeral range (ip_local_port_range), for a port that must stay free between
 * the check and a later start by another process: no other process's bind(0) or outgoing connection is given a
 * port from outside that range, so only an explicit listen on the same number could take it meanwhile.
 */
export async function getFreePortBelowEphemeralRange(host = '127.0.0.1'): Promise<number> {
  let low = 32_768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: the common default
  }
  const floor = Math.max(1024, Math.min(20_000, low - 2_000));
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = floor + Math.floor(Math.random() * (low - floor));
    if (handedOut.has(port) || !(await isPortFree(port, host))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port between ${floor} and ${low} after 200 probes`);
}

/** False when something already listens on host:port (a wildcard listener counts too). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(false);
      else reject(error);
    });
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

export function portInUseError(port: number, what: string): Error {
  return new Error(`port ${port} is already in use by another process; cannot start ${what} on it`);
}

function tryConnect(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Checked between polls so a crashed server fails fast instead of waiting out the timeout. */
  abortIf?: () => Error | undefined;
}

/** Resolves once host:port accepts a TCP connection. */
export async function waitForPort(
  port: number,
  { timeoutMs, intervalMs = 25, abortIf, host = '127.0.0.1' }: WaitOptions & { host?: string },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const aborted = abortIf?.();
    if (aborted) throw aborted;
    if (await tryConnect(port, host)) return;
    if (Date.now() >= deadline) throw new Error(`nothing accepted TCP on ${host}:${port} within ${timeoutMs} ms`);
    await delay(intervalMs);
  }
}

export interface WaitForHttpOptions extends WaitOptions {
  /** Which status counts as healthy; default 2xx. */
  accept?: (status: number) => boolean;
}

/** Polls `url` until it answers with an accepted status. Returns that status. */
export async function waitForHttp(
  url: string,
  { timeoutMs, intervalMs = 50, abortIf, accept = (status) => status >= 200 && status < 300 }: WaitForHttpOptions,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no attempt made';
  for (;;) {
    const aborted = abortIf?.();
    if (aborted) throw aborted;
    const remaining = Math.max(deadline - Date.now(), 1);
    try {
      // A per-attempt timeout keeps one hung request from eating the whole budget.
      const response = await fetch(url, { signal: AbortSignal.timeout(Math.min(remaining, 2000)) });
      await response.arrayBuffer();
      if (accept(response.status)) return response.status;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    if (Date.now() >= deadline) throw new Error(`${url} was not healthy within ${timeoutMs} ms (last: ${last})`);
    await delay(intervalMs);
  }
}

/** Polls a synchronous condition; for state that offers no event to wait on (e.g. /proc). */
export async function waitFor(
  condition: () => boolean,
  { timeoutMs, intervalMs = 25, what }: { timeoutMs: number; intervalMs?: number; what: string },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(intervalMs);
  }
}
