import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { ConfigError } from '@webchat/config';
import { createLogger, type Logger } from '@webchat/logger';

/**
 * Idle keep-alive sockets are closed by the server after this long. Every client in front of us
 * (our internal client, nginx's upstream keepalive) must give up on an idle socket sooner, or it
 * will write a request into a socket the server is closing ("socket hang up").
 */
export const SERVER_KEEP_ALIVE_TIMEOUT_MS = 10_000;

export interface RunningServer {
  server: http.Server;
  url: string;
  port: number;
  /** Stops accepting, lets in-flight requests finish (up to drainTimeoutMs), then closes the rest. */
  close(): Promise<void>;
}

export interface ListenOptions {
  app: Express;
  port: number;
  host?: string;
  keepAliveTimeoutMs?: number;
  drainTimeoutMs?: number;
  /** Whole-request ceiling: a slow client cannot hold a socket forever. */
  requestTimeoutMs?: number;
  lifecycle?: { draining: boolean };
}

export function listen(options: ListenOptions): Promise<RunningServer> {
  const { app, port, host = '127.0.0.1', drainTimeoutMs = 10_000, lifecycle } = options;
  const server = http.createServer(app);
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? SERVER_KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = Math.max(server.keepAliveTimeout + 1000, 15_000);
  server.requestTimeout = options.requestTimeoutMs ?? 30_000;

  // server.close() waits for every connection to end, and a keep-alive socket outlives its request:
  // during a drain each response says `Connection: close`, so the socket closes once it is answered.
  const inFlight = new Set<http.ServerResponse>();
  let closing: Promise<void> | undefined;
  server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    if (closing) res.setHeader('Connection', 'close');
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      if (lifecycle) lifecycle.draining = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      const force = setTimeout(() => server.closeAllConnections(), drainTimeoutMs);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      server.closeIdleConnections();
    });
    return closing;
  };

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      resolve({ server, port: address.port, url: `http://${host}:${address.port}`, close });
    });
  });
}

/**
 * SIGTERM (Kubernetes, the local runner) and SIGINT (Ctrl-C): turn not-ready, drain, release
 * resources, exit. A second signal exits at once.
 */
export function exitOnSignals(running: RunningServer, logger: Logger, cleanup: () => Promise<void> = async () => {}): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info('draining', { signal });
    running
      .close()
      .then(cleanup)
      .then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (err: unknown) => {
          logger.error('unclean stop', { err });
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/**
 * Runs a service's start-up. An invalid configuration is logged as the list of bad variables (the
 * operator's fix list); any other start failure (a port in use, a key that cannot be parsed) as an
 * error. Either way the process exits non-zero, even if something it opened would keep it alive.
 */
export function runService(service: string, start: () => Promise<void>): void {
  start().catch((err: unknown) => {
    const logger = createLogger({ service });
    if (err instanceof ConfigError) logger.error('refusing to start: invalid configuration', { problems: err.problems });
    else logger.error('failed to start', { err });
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 500).unref();
  });
}
