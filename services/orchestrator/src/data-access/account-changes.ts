import { Client } from 'pg';
import type { Logger } from '@webchat/logger';

export const ACCOUNT_CHANGES_CHANNEL = 'webchat_account_changes';

export interface AccountChangeFeed {
  /** True while the feed is known to deliver every change; a cache must not serve while it is false. */
  readonly connected: boolean;
  onChange(listener: (accountSid: string) => void): void;
  /** Changes may have been missed (first connect, disconnect, reconnect): drop everything cached. */
  onReset(listener: () => void): void;
  close(): Promise<void>;
}

/**
 * LISTEN on a dedicated connection (a pooled one would lose the subscription when released).
 * On any error it reports a reset, and reconnects with backoff until closed.
 */
export class PgAccountChangeFeed implements AccountChangeFeed {
  private client: Client | undefined;
  private closed = false;
  private retryDelayMs = 100;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly changeListeners: Array<(sid: string) => void> = [];
  private readonly resetListeners: Array<() => void> = [];
  connected = false;

  constructor(
    private readonly connectionString: string,
    private readonly logger: Logger,
    private readonly options: { maxRetryDelayMs?: number; connectTimeoutMs?: number; channel?: string } = {},
  ) {}

  /** The same feed serves other change streams (token failures) on their own channel. */
  private get channel(): string {
    return this.options.channel ?? ACCOUNT_CHANGES_CHANNEL;
  }

  onChange(listener: (accountSid: string) => void): void {
    this.changeListeners.push(listener);
  }

  onReset(listener: () => void): void {
    this.resetListeners.push(listener);
  }

  /** Resolves once subscribed, or after the first failure (then it keeps retrying in the background). */
  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new Client({
      connectionString: this.connectionString,
      connectionTimeoutMillis: this.options.connectTimeoutMs ?? 2000,
      keepAlive: true,
      application_name: 'webchat-orchestrator-listener',
    });
    this.client = client;
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    client.on('notification', (message) => {
      if (message.channel !== this.channel || !message.payload) return;
      for (const listener of this.changeListeners) listener(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
      if (this.client !== client || this.closed) return;
      // Whatever was cached before this subscription may have changed unseen.
      this.reset();
      this.connected = true;
      this.retryDelayMs = 100;
      this.logger.info('listening for changes', { channel: this.channel });
    } catch (err) {
      this.lost(client, err);
    }
  }

  private lost(client: Client, err: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    const wasConnected = this.connected;
    this.connected = false;
    this.reset();
    client.removeAllListeners('end');
    client.on('error', () => {});
    client.end().catch(() => {});
    if (this.closed) return;
    if (wasConnected) this.logger.warn('account change feed lost; cache disabled until it is back', { err });
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, this.options.maxRetryDelayMs ?? 2000);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }

  private reset(): void {
    for (const listener of this.resetListeners) listener();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.connected = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners('end');
      client.on('error', () => {});
      await client.end().catch(() => {});
    }
  }
}
