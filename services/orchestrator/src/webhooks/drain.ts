import type { Logger } from '@webchat/logger';
import type { IdentitySecretSealer } from '../data-access/identity-secrets';
import type { Database } from '../data-access/pool';
import { outcomeOf, retryDelayMs, signatureHeader, type RetryPolicy } from '../domain/webhook-events';
import type { UrlPolicy } from '../domain/webhook-urls';
import { endpointForSending, lockHead, markExpired, recordAttempt, wakeDrain, type DrainTarget } from './outbox';
import { sendWebhook } from './send';

export type { DrainTarget } from './outbox';

export interface DrainSettings {
  retry: RetryPolicy;
  timeoutMs: number;
  urls: UrlPolicy;
  /** Attempts one dispatcher makes to one endpoint at once; beyond it a drain is put back, not waited for. */
  perEndpointConcurrency: number;
  /** Deliveries one drain sends before yielding its worker slot to other conversations. */
  batch: number;
  /** How soon a drain that found the head locked by another transaction looks again. */
  busyRecheckMs: number;
  /** Opens the endpoints' sealed signing secrets (IDENTITY_SECRETS_KEY). */
  sealer: IdentitySecretSealer;
}

/**
 * Delivers the pending events of one (endpoint, conversation) in position order. The head must be delivered
 * (or given up on) before the next is sent: that is what keeps one conversation in order at a receiver that
 * was down. Other conversations and endpoints are other jobs, run concurrently.
 */
export function createDrain(db: Database, settings: DrainSettings, logger: Logger) {
  const inFlight = new Map<string, number>();

  /*
   * Every wake-up a head needs is scheduled on `tx`, so it commits with the attempt and the lock's release: a
   * successor scheduled on another connection could start while this transaction still holds the head, find it
   * 'busy', and end, after which this one committed with no job left (the conversation then waited for the sweep).
   */
  async function deliverHead(target: DrainTarget): Promise<'next' | 'stop' | 'busy'> {
    return db.transaction(async (tx) => {
      const head = await lockHead(tx, target.endpointId, target.conversationSid);
      if (head === undefined) return 'stop';
      if (head === 'busy') return 'busy'; // NOWAIT aborted this transaction: nothing more can be done on it
      const endpoint = await endpointForSending(tx, target.endpointId, settings.sealer);
      if (!endpoint?.enabled) return 'stop'; // kept pending; enabling wakes it
      const deadline = head.pendingSince.getTime() + settings.retry.horizonMs;
      if (head.nextAttemptAt.getTime() > Date.now()) {
        await wakeDrain(tx, target, head.nextAttemptAt);
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
        await wakeDrain(tx, target, nextAttemptAt);
        return 'stop';
      }
      return outcome === 'gone' ? 'stop' : 'next';
    });
  }

  return async function drain(target: DrainTarget): Promise<void> {
    const sending = inFlight.get(target.endpointId) ?? 0;
    if (sending >= settings.perEndpointConcurrency) {
      // A slow endpoint must not take every worker slot: try again shortly, leaving slots to other endpoints.
      await wakeDrain(db, target, new Date(Date.now() + 250));
      return;
    }
    inFlight.set(target.endpointId, sending + 1);
    try {
      for (let sent = 0; sent < settings.batch; sent += 1) {
        const step = await deliverHead(target);
        if (step === 'stop') return;
        if (step === 'busy') {
          // Another transaction holds the head: a second replica, a wake-up that overlapped a running drain, or a
          // replay. Its holder schedules what follows; looking again later (never moving the wake-up it
          // scheduled) makes sure nothing waits for the sweep should that holder fail.
          await wakeDrain(db, target, new Date(Date.now() + settings.busyRecheckMs), { keepPending: true });
          return;
        }
      }
      await wakeDrain(db, target, new Date()); // more may be pending: continue as a fresh job, behind others
    } finally {
      const left = (inFlight.get(target.endpointId) ?? 1) - 1;
      if (left === 0) inFlight.delete(target.endpointId);
      else inFlight.set(target.endpointId, left);
    }
  };
}
