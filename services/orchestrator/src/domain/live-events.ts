import { AppError } from '@webchat/errors';
import type { ConversationEvent, EventRepository } from './event-store';

/**
 * Live delivery of the conversation event log to held streams (guest: one conversation; agents: the account).
 *
 * Postgres is the only source of truth. A notification (`conversation_events`, sent at commit) only says "look":
 * a guest stream then reads its conversation's events after its cursor (the per-conversation position, which
 * commits in order, so the cursor never skips one). A replica that loses its LISTEN connection may have missed
 * notifications, so it ends every stream with a retry hint; clients reconnect with Last-Event-ID and replay.
 *
 * The account stream's id is the event's global id, which does NOT commit in order (two writers, two
 * conversations). Live, that is harmless: notifications arrive in commit order and each is delivered. On a
 * reconnect, `Last-Event-ID: N` replays every event above N and also re-reads the events created up to
 * REREAD_WINDOW_SECONDS before event N (a transaction that took id < N may have committed after N was seen;
 * writer transactions are bounded by the statement and idle-in-transaction timeouts, far below the window).
 * The account stream is therefore at-least-once: every event carries its `eventSid` and the desk drops repeats.
 */

export const REREAD_WINDOW_SECONDS = 30;
const REPLAY_BATCH = 200;

/** What a held stream can do; the route writes SSE frames. */
export interface StreamSink {
  deliver(id: string, event: ConversationEvent): void;
  heartbeat(): void;
  /** Ends the stream; the client should reconnect after `retryMs` (to any replica). */
  end(retryMs: number): void;
  /** Ends the stream for good: what it was opened with no longer holds (a final `revoked` event says why). */
  revoke(problem: StreamProblem): void;
}

/** Why a held stream was ended for good: a problem code the client already knows from a refused request. */
export interface StreamProblem {
  code: 'token_revoked' | 'deployment_key_invalid' | 'agent_key_invalid';
  detail: string;
}

/**
 * What a stream's holder proved when it opened, kept with the stream so a later revocation (of the minting
 * deployment key, of the token by fingerprint mismatches, of the agent's key) can find and end it.
 */
export type StreamGrant =
  | { kind: 'guest'; accountSid: string; deploymentKeyId: string | undefined; tokenHash: string }
  | { kind: 'agent'; accountSid: string; agentSid: string };

export interface Notification {
  accountSid: string;
  conversationSid: string;
  position: number;
  id: number;
}

export interface LiveEventsOptions {
  events: EventRepository;
  /** True while notifications are known to arrive; streams are refused while false. */
  feedConnected: () => boolean;
  maxStreamsPerHolder: number;
  maxStreamsPerProcess: number;
  heartbeatMs: number;
  /** The retry hint sent when this replica drains or loses its feed. */
  reconnectMs: number;
  onError?: (err: unknown) => void;
}

const NO_SINK: StreamSink = { deliver: () => {}, heartbeat: () => {}, end: () => {}, revoke: () => {} };

/** Guests see messages and the end of their conversation; the creation event is for agents. */
const GUEST_EVENT_TYPES = new Set(['message.created', 'conversation.closed']);

interface Stream {
  holder: string;
  grant: StreamGrant;
  sink: StreamSink;
  closed: boolean;
  /** Serialises reads and writes so a stream's events leave in order. */
  chain: Promise<void>;
}

interface GuestStream extends Stream {
  conversationSid: string;
  position: number;
  /** A notification arrived while reading: read again before resting. */
  dirty: boolean;
  reading: boolean;
}

interface AccountStream extends Stream {
  accountSid: string;
  /** Ids already sent (replay and live overlap); bounded. */
  sent: Set<number>;
}

export class LiveEvents {
  private readonly guests = new Map<string, Set<GuestStream>>();
  private readonly accounts = new Map<string, Set<AccountStream>>();
  private readonly perHolder = new Map<string, number>();
  private total = 0;
  private draining = false;
  private readonly heartbeat: NodeJS.Timeout;
  /** One read per event however many agent streams of the account want it. */
  private readonly byId = new Map<number, Promise<ConversationEvent | null>>();

  constructor(private readonly options: LiveEventsOptions) {
    this.heartbeat = setInterval(() => this.each((stream) => stream.sink.heartbeat()), options.heartbeatMs);
    this.heartbeat.unref();
  }

  get openStreams(): number {
    return this.total;
  }

  /**
   * `holder` identifies the token or agent key the per-holder limit counts (a hash, never the secret).
   * Admission (429/503) happens before `openSink` is called, so a refused client gets a problem, not a stream;
   * the sink calls `closed` when the client goes away.
   */
  openGuestStream(holder: string, grant: StreamGrant, conversationSid: string, lastPosition: number, openSink: (closed: () => void) => StreamSink): void {
    this.admit(holder);
    const stream: GuestStream = { holder, grant, sink: NO_SINK, closed: false, chain: Promise.resolve(), conversationSid, position: lastPosition, dirty: false, reading: false };
    stream.sink = openSink(() => this.close(stream, this.guests, conversationSid));
    this.add(this.guests, conversationSid, stream);
    this.readGuest(stream);
  }

  openAccountStream(holder: string, grant: StreamGrant, lastId: number | undefined, openSink: (closed: () => void) => StreamSink): void {
    const accountSid = grant.accountSid;
    this.admit(holder);
    const stream: AccountStream = { holder, grant, sink: NO_SINK, closed: false, chain: Promise.resolve(), accountSid, sent: new Set() };
    stream.sink = openSink(() => this.close(stream, this.accounts, accountSid));
    this.add(this.accounts, accountSid, stream);
    if (lastId !== undefined) {
      this.enqueue(stream, async () => {
        let after = lastId;
        let first = true;
        for (;;) {
          const batch = first
            ? await this.options.events.accountEventsSince(accountSid, after, REREAD_WINDOW_SECONDS, REPLAY_BATCH)
            : await this.options.events.accountEventsSince(accountSid, after, 0, REPLAY_BATCH);
          first = false;
          for (const event of batch) this.sendAccount(stream, event);
          const last = batch[batch.length - 1];
          if (batch.length < REPLAY_BATCH || !last || stream.closed) return;
          after = last.id;
        }
      });
    }
  }

  /** Called for every `conversation_events` notification this replica receives. */
  notify(notification: Notification): void {
    for (const stream of this.guests.get(notification.conversationSid) ?? []) {
      if (notification.position > stream.position) this.readGuest(stream);
    }
    const agents = this.accounts.get(notification.accountSid);
    if (!agents || agents.size === 0) return;
    const event = this.eventById(notification.id);
    for (const stream of agents) {
      this.enqueue(stream, async () => {
        const found = await event;
        if (found) this.sendAccount(stream, found);
      });
    }
  }

  /** The grants of the streams held here that `select` picks (for a revocation to check them). */
  grants(select: (grant: StreamGrant) => boolean): StreamGrant[] {
    const found: StreamGrant[] = [];
    this.each((stream) => {
      if (select(stream.grant)) found.push(stream.grant);
    });
    return found;
  }

  /** Ends, with a final `revoked` event, every held stream whose grant `verdict` finds no longer good. */
  revoke(verdict: (grant: StreamGrant) => StreamProblem | undefined): number {
    let ended = 0;
    this.each((stream) => {
      const problem = stream.closed ? undefined : verdict(stream.grant);
      if (!problem) return;
      stream.sink.revoke(problem);
      ended += 1;
    });
    return ended;
  }

  /** Ends the streams `select` picks with a retry hint: they reconnect, and their requests are checked afresh. */
  reconnect(select: (grant: StreamGrant) => boolean): void {
    this.each((stream) => {
      if (select(stream.grant)) this.end(stream, this.options.reconnectMs);
    });
  }

  /** Notifications may have been missed: every client reconnects and replays from Postgres. */
  reset(): void {
    this.each((stream) => this.end(stream, this.options.reconnectMs));
  }

  /** SIGTERM: refuse new streams, end held ones with a short retry so clients move to another replica. */
  drain(): void {
    this.draining = true;
    this.reset();
  }

  stop(): void {
    clearInterval(this.heartbeat);
    this.drain();
  }

  private admit(holder: string): void {
    const retry = Math.ceil(this.options.reconnectMs / 1000).toString();
    if (this.draining || !this.options.feedConnected()) {
      throw new AppError('streams_unavailable', 'This server is not taking live streams right now; reconnect shortly', { headers: { 'Retry-After': retry } });
    }
    if (this.total >= this.options.maxStreamsPerProcess) {
      throw new AppError('streams_unavailable', 'This server holds as many live streams as it may; reconnect shortly', { headers: { 'Retry-After': retry } });
    }
    const held = this.perHolder.get(holder) ?? 0;
    if (held >= this.options.maxStreamsPerHolder) {
      throw new AppError('rate_limited', `At most ${this.options.maxStreamsPerHolder} live streams per token or key; close one (another tab) first`, {
        headers: { 'Retry-After': '30' },
      });
    }
    this.perHolder.set(holder, held + 1);
    this.total += 1;
  }

  private add<S extends Stream>(index: Map<string, Set<S>>, key: string, stream: S): void {
    let set = index.get(key);
    if (!set) index.set(key, (set = new Set()));
    set.add(stream);
  }

  private close<S extends Stream>(stream: S, index: Map<string, Set<S>>, key: string): void {
    if (stream.closed) return;
    stream.closed = true;
    const set = index.get(key);
    set?.delete(stream);
    if (set?.size === 0) index.delete(key);
    const held = (this.perHolder.get(stream.holder) ?? 1) - 1;
    if (held <= 0) this.perHolder.delete(stream.holder);
    else this.perHolder.set(stream.holder, held);
    this.total -= 1;
  }

  private end(stream: Stream, retryMs: number): void {
    if (!stream.closed) stream.sink.end(retryMs);
  }

  private each(visit: (stream: Stream) => void): void {
    for (const set of [...this.guests.values(), ...this.accounts.values()]) for (const stream of [...set]) visit(stream);
  }

  private enqueue(stream: Stream, work: () => Promise<void>): void {
    stream.chain = stream.chain
      .then(() => (stream.closed ? undefined : work()))
      .catch((err: unknown) => {
        // A failed read cannot be skipped silently: the client reconnects and replays from its last id.
        this.options.onError?.(err);
        this.end(stream, this.options.reconnectMs);
      });
  }

  private readGuest(stream: GuestStream): void {
    if (stream.reading) {
      stream.dirty = true;
      return;
    }
    stream.reading = true;
    this.enqueue(stream, async () => {
      try {
        do {
          stream.dirty = false;
          for (;;) {
            const batch = await this.options.events.eventsAfterPosition(stream.conversationSid, stream.position, REPLAY_BATCH);
            for (const event of batch) {
              if (stream.closed) return;
              stream.position = event.position;
              if (GUEST_EVENT_TYPES.has(event.type)) stream.sink.deliver(String(event.position), event);
            }
            if (batch.length < REPLAY_BATCH) break;
          }
        } while (stream.dirty && !stream.closed);
      } finally {
        stream.reading = false;
      }
    });
  }

  private sendAccount(stream: AccountStream, event: ConversationEvent): void {
    if (stream.closed || stream.sent.has(event.id)) return;
    stream.sent.add(event.id);
    if (stream.sent.size > 1000) {
      const oldest = stream.sent.values().next().value;
      if (oldest !== undefined) stream.sent.delete(oldest);
    }
    stream.sink.deliver(String(event.id), event);
  }

  private eventById(id: number): Promise<ConversationEvent | null> {
    let found = this.byId.get(id);
    if (!found) {
      found = this.options.events.eventById(id);
      this.byId.set(id, found);
      const forget = () => setTimeout(() => this.byId.delete(id), 5000).unref();
      found.then(forget, forget);
    }
    return found;
  }
}
