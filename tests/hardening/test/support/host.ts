import http from 'node:http';
import { SERVER_KEEP_ALIVE_TIMEOUT_MS } from '@webchat/http-kit';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/**
 * A service of the test system on a fixed port that a fault test can stop (the port is closed, as a
 * crashed pod's is), slow down (the real app answers, but late) and start again on
 * the same port, without the services that call it being restarted.
 */
export class SwitchableHost {
  private server: http.Server | undefined;
  private delayMs = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly name: string,
    readonly port: number,
    /** Builds a fresh app for each start, as a restarted process would. */
    private readonly build: () => Promise<Handler> | Handler,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** Resolves once no delayed answer is waiting any more. */
  async drained(): Promise<void> {
    while (this.timers.size > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }

  /** From now on every answer leaves this long after the app has made it (0: at once). */
  setDelay(ms: number): void {
    this.delayMs = ms;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const app = await this.build();
    const server = http.createServer((req, res) => {
      const delayMs = this.delayMs;
      if (delayMs > 0) {
        // The app does its work at once; only its answer is late (headers and body are sent by end()).
        const end = res.end.bind(res) as (...args: unknown[]) => http.ServerResponse;
        res.end = ((...args: unknown[]) => {
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            end(...args);
          }, delayMs);
          this.timers.add(timer);
          return res;
        }) as typeof res.end;
      }
      app(req, res);
    });
    server.keepAliveTimeout = SERVER_KEEP_ALIVE_TIMEOUT_MS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  /** Closes the port and every connection at once: callers see refused connections, not a drain. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
