import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export { WEBHOOK_EVENT_TYPES } from '@webchat/contracts';

/** What a receiver gets as the body (`WebhookEvent` in @webchat/contracts): the same on every attempt. */
export interface WebhookEventPayload {
  id: string;
  type: string;
  createdAt: string;
  accountSid: string;
  data: Record<string, unknown>;
}

/** Standard Webhooks secrets: `whsec_` + base64 of 24 to 64 random bytes; 32 here. */
export function generateSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * The `webhook-signature` header: one `v1,...` signature per active secret, space-separated, which the
 * specification allows so receivers keep verifying through a secret rotation.
 */
export function signatureHeader(secrets: readonly string[], messageId: string, timestamp: Date, body: string): string {
  return secrets.map((secret) => new Webhook(secret).sign(messageId, timestamp, body)).join(' ');
}

export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  /** From the moment the event became pending; after it the delivery is marked failed. */
  horizonMs: number;
}

/**
 * Exponential backoff with "equal jitter": half the exponential step is fixed, half random, so retries of
 * many endpoints after one outage spread out instead of arriving together.
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(step / 2 + (step / 2) * random());
}

/** What to do after an attempt, from the HTTP status (or none: timeout, refused, blocked URL). */
export type AttemptOutcome = 'delivered' | 'retry' | 'failed' | 'gone';

export function outcomeOf(statusCode: number | undefined, nextAttemptAt: number, deadline: number): AttemptOutcome {
  if (statusCode !== undefined && statusCode >= 200 && statusCode < 300) return 'delivered';
  if (statusCode === 410) return 'gone';
  return nextAttemptAt > deadline ? 'failed' : 'retry';
}
