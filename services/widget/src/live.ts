import { PATHS } from './constants';

/** One event of the guest's stream (docs/conversations-api.md, "Events"). */
export interface LiveEvent {
  type: string;
  position: number;
  data: { messageSid?: string; author?: string; authorName?: string | null; body?: string; createdAt?: string };
}

export interface LiveHandlers {
  /** The current token, conversation and security headers; undefined when there is no session any more. */
  auth(): { token: string; conversationSid: string; headers: Record<string, string> } | undefined;
  onEvent(event: LiveEvent): void;
  onState(state: 'live' | 'reconnecting'): void;
  /**
   * 401/404, or a final `revoked` event on an open stream: the token (or conversation) is no longer good; the
   * widget refreshes or ends the session.
   */
  onRefused(code: string | undefined): Promise<'retry' | 'stop'>;
}

/**
 * The guest's live stream, read with fetch (EventSource cannot send the Authorization header, and a token never
 * goes in a URL). Reconnects quietly after a drop with Last-Event-ID, so what was missed is replayed in order.
 * The parser is deliberately small: our frames are single-line `id`, `event`, `data` and `retry` fields.
 */
export class LiveStream {
  private abort: AbortController | undefined;
  private stopped = true;
  private lastEventId = '';
  private retryMs = 1000;
  private wake: (() => void) | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly handlers: LiveHandlers,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.lastEventId = '';
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
  }

  /** Back online: reconnect now instead of waiting out the backoff. */
  nudge(): void {
    this.wake?.();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      const auth = this.handlers.auth();
      if (!auth) return this.stop();
      this.abort = new AbortController();
      try {
        const headers: Record<string, string> = { ...auth.headers, authorization: `Bearer ${auth.token}`, accept: 'text/event-stream' };
        if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
        const response = await fetch(`${this.baseUrl}${PATHS.channels}/${encodeURIComponent(auth.conversationSid)}/Events`, {
          headers,
          mode: 'cors',
          credentials: 'omit',
          cache: 'no-store',
          signal: this.abort.signal,
        });
        if (response.status === 401 || response.status === 404) {
          const code = ((await response.json().catch(() => undefined)) as { code?: string } | undefined)?.code;
          if ((await this.handlers.onRefused(code)) === 'stop') return this.stop();
        } else if (response.ok && response.body) {
          failures = 0;
          this.handlers.onState('live');
          const revoked = await this.read(response.body);
          // Reconnecting with this token would only be refused with the same code: refresh (or stop) first.
          if (revoked !== undefined && (await this.handlers.onRefused(revoked)) === 'stop') return this.stop();
        } else {
          const retryAfter = Number(response.headers.get('retry-after'));
          if (retryAfter > 0) this.retryMs = Math.min(retryAfter * 1000, 60_000);
        }
      } catch {
        // network loss or abort: reconnect below
      }
      if (this.stopped) return;
      this.handlers.onState('reconnecting');
      failures += 1;
      await this.sleep(Math.min(this.retryMs * 2 ** Math.min(failures - 1, 4), 30_000));
    }
  }

  /** Reads frames until the stream ends; returns the problem code when the server ended it with `revoked`. */
  private async read(body: ReadableStream<Uint8Array>): Promise<string | undefined> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let revoked: string | undefined;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return revoked;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const fields: Record<string, string> = {};
        for (const line of buffer.slice(0, cut).split('\n')) {
          const colon = line.indexOf(':');
          if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
        }
        buffer = buffer.slice(cut + 2);
        if (fields.retry && /^\d+$/.test(fields.retry)) this.retryMs = Number(fields.retry);
        if (fields.id !== undefined) this.lastEventId = fields.id;
        if (fields.event === 'revoked') {
          revoked = /"code":"([a-z_]+)"/.exec(fields.data ?? '')?.[1] ?? 'token_revoked';
        } else if (fields.data && fields.event !== 'reconnect') {
          try {
            this.handlers.onEvent(JSON.parse(fields.data) as LiveEvent);
          } catch {
            // a frame we cannot read is skipped; the next one carries on
          }
        }
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
