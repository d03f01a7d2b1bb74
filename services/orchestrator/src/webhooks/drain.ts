import type { Logger } from '@webchat/logger';
import type { Database } from '../data-access/pool';
import { outcomeOf, retryDelayMs, signatureHeader, type RetryPolicy } from '../domain/webhook-events';
import type { UrlPolicy } from '../domain/webhook-urls';
import { endpointForSending, lockHead, markExpired, recordAttempt } from './outbox';
import { sendWebhook } from './send';

export interface DrainSettings {
  retry: RetryPolicy;
  timeoutMs: number;
  urls: UrlPolicy;
  /** Attempts one dispatcher makes to one endpoint at once; beyond it a drain is put back, not waited for. */
  perEndpointConcurrency: number;
  /** Deliveries one drain sends before yielding its worker slot to other conversations. */
  batch: number;
}

export interface DrainTarget {
  endpointId: string;
  conversationSid: string;
}

/** Ask to be run again at `runAt` (graphile-worker job key: replaces a pending wake-up, never stacks). */
export type Reschedule = (target: DrainTarget, runAt: Date) => Promise<void>;

/**
 * Delivers the pending events of one (endpoint, conversation) in position order. The head must be delivered
 * (or given up on) before the next is sent: that is what keeps one conversation in order at a receiver that
 * was down. Other conversations and endpoints are other jobs, run concurrently.
 */
export function createDrain(db: Database, settings: DrainSettings, logger: Logger, reschedule: Reschedule) {
  const inFlight = new Map<string, number>();

  async function deliverHead(target: DrainTarget): Promise<'next' | 'stop'> {
    return db.transaction(async (tx) => {
      const head = await lockHead(tx, target.endpointId, target.conversationSid);
      if (head === undefined || head === 'busy') return 'stop';
      const endpoint = await endpointForSending(tx, target.endpointId);
      if (!endpoint?.enabled) return 'stop'; // kept pending; enabling wakes it
      const deadline = head.pendingSince.getTime() + settings.retry.horizonMs;
      if (head.nextAttemptAt.getTime() > Date.now()) {
        await reschedule(target, head.nextAttemptAt);
        return 'stop';
      }
      if (Date.now() > deadline) {
        await markExpired(tx, head.id);
        logger.warn('webhook delivery failed', { endpointId: endpoint.id, eventId: head.payload.id, type: head.payload.type, attempts: head.attempts });
        return 'next';
      }

      const body = JSON.stringify(head.payload);
      const now = new Date();
      const result = await sendWebhook(
        {
          url: endpoint.url,
          body,
          timeoutMs: settings.timeoutMs,
          headers: {
            'webhook-id': head.payload.id,
            'webhook-timestamp': Math.floor(now.getTime() / 1000).toString(),
            'webhook-signature': signatureHeader(endpoint.secrets, head.payload.id, now, body),
            'user-agent': 'webchat-webhooks/1',
          },
        },
        settings.urls,
      );
      const attempt = head.attempts + 1;
      const nextAttemptAt = new Date(Date.now() + retryDelayMs(settings.retry, attempt));
      const outcome = outcomeOf(result.statusCode, nextAttemptAt.getTime(), deadline);
      await recordAttempt(tx, { deliveryId: head.id, endpointId: endpoint.id, ...result, outcome, nextAttemptAt: outcome === 'retry' ? nextAttemptAt : undefined });
      logger.info('webhook attempt', {
        endpointId: endpoint.id, eventId: head.payload.id, type: head.payload.type, attempt,
        status: result.statusCode ?? result.error, latencyMs: result.latencyMs, outcome,
      });
      if (outcome === 'gone') logger.warn('webhook endpoint disabled: 410 Gone', { endpointId: endpoint.id });
      if (outcome === 'retry') {
        await reschedule(target, nextAttemptAt);
        return 'stop';
      }
      return outcome === 'gone' ? 'stop' : 'next';
    });
  }

  return async function drain(target: DrainTarget): Promise<void> {
    const busy = inFlight.get(target.endpointId) ?? 0;
    if (busy >= settings.perEndpointConcurrency) {
      // A slow endpoint must not take every worker slot: try again shortly, leaving slots to other endpoints.
      await reschedule(target, new Date(Date.now() + 250));
      return;
    }
    inFlight.set(target.endpointId, busy + 1);
    try {
      for (let sent = 0; sent < settings.batch; sent += 1) {
        if ((await deliverHead(target)) === 'stop') return;
      }
      await reschedule(target, new Date()); // more may be pending: continue as a fresh job, behind others
    } finally {
      const left = (inFlight.get(target.endpointId) ?? 1) - 1;
      if (left === 0) inFlight.delete(target.endpointId);
      else inFlight.set(target.endpointId, left);
    }
  };
}
