import type { Logger } from '@webchat/logger';
import { PgAccountChangeFeed } from './data-access/account-changes';
import { createEventRepository } from './data-access/event-repository';
import type { Database } from './data-access/pool';
import { LiveEvents, type Notification } from './domain/live-events';

export const CONVERSATION_EVENTS_CHANNEL = 'conversation_events';

export interface LiveDeliverySettings {
  STREAMS_PER_HOLDER: number;
  STREAMS_PER_PROCESS: number;
  STREAM_HEARTBEAT_SECONDS: number;
  STREAM_RETRY_MS: number;
}

/** Parsed defensively: a payload this code did not write (a hand-typed NOTIFY) is ignored, never thrown on. */
function parseNotification(payload: string): Notification | null {
  try {
    const value = JSON.parse(payload) as Partial<Notification>;
    if (typeof value.accountSid === 'string' && typeof value.conversationSid === 'string' && typeof value.position === 'number' && typeof value.id === 'number') {
      return value as Notification;
    }
  } catch {
    // ignored below
  }
  return null;
}

/**
 * Live streams for one process: a dedicated LISTEN connection on `conversation_events` feeding LiveEvents.
 * Used by start.ts and by tests, so both wire it the same way.
 */
export async function startLiveDelivery(options: { databaseUrl: string; db: Database; logger: Logger; settings: LiveDeliverySettings; maxRetryDelayMs?: number }) {
  const feed = new PgAccountChangeFeed(options.databaseUrl, options.logger, { channel: CONVERSATION_EVENTS_CHANNEL, maxRetryDelayMs: options.maxRetryDelayMs ?? 2000 });
  const live = new LiveEvents({
    events: createEventRepository(options.db),
    feedConnected: () => feed.connected,
    maxStreamsPerHolder: options.settings.STREAMS_PER_HOLDER,
    maxStreamsPerProcess: options.settings.STREAMS_PER_PROCESS,
    heartbeatMs: options.settings.STREAM_HEARTBEAT_SECONDS * 1000,
    reconnectMs: options.settings.STREAM_RETRY_MS,
    onError: (err) => options.logger.warn('live stream read failed; the client resumes from its last event', { err }),
  });
  feed.onChange((payload) => {
    const notification = parseNotification(payload);
    if (notification) live.notify(notification);
  });
  feed.onReset(() => live.reset());
  await feed.start();
  return {
    live,
    feed,
    retryMs: options.settings.STREAM_RETRY_MS,
    async stop() {
      live.stop();
      await feed.close();
    },
  };
}
export type LiveDelivery = Awaited<ReturnType<typeof startLiveDelivery>>;
