import type { IdentitySecretSealer } from '../data-access/identity-secrets';
import type { Queryable } from '../data-access/pool';
import { openWebhookSecret } from '../data-access/webhook-secrets';
import type { AttemptOutcome, WebhookEventPayload } from '../domain/webhook-events';

/** The oldest pending delivery of one (endpoint, conversation), locked for this dispatcher. */
export interface HeadDelivery {
  id: string;
  attempts: number;
  pendingSince: Date;
  nextAttemptAt: Date;
  payload: WebhookEventPayload;
}

export interface EndpointForSending {
  id: string;
  url: string;
  enabled: boolean;
  /** The current secret first, then the previous one while its overlap lasts. */
  secrets: string[];
}

const LOCK_NOT_AVAILABLE = '55P03';

/**
 * `FOR UPDATE NOWAIT` on the head row: another dispatcher sending this conversation's head (a second replica,
 * or a duplicate wake-up) makes this one step aside instead of sending out of order or twice at once.
 * The lock lives until the attempt is recorded; a killed dispatcher's lock ends with its connection.
 */
export async function lockHead(tx: Queryable, endpointId: string, conversationSid: string): Promise<HeadDelivery | 'busy' | undefined> {
  try {
    const { rows } = await tx.query<{
      id: string; attempts: number; pending_since: Date; next_attempt_at: Date;
      event_sid: string; type: string; created_at: Date; account_sid: string; data: Record<string, unknown>;
    }>(
      `SELECT d.id, d.attempts, d.pending_since, d.next_attempt_at, e.event_sid, e.type, e.created_at, e.account_sid, e.data
         FROM webhook_deliveries d JOIN conversation_events e ON e.id = d.event_id
        WHERE d.endpoint_id = $1 AND d.conversation_sid = $2 AND d.status = 'pending'
        ORDER BY d.position, d.id
        LIMIT 1
          FOR UPDATE OF d NOWAIT`,
      [endpointId, conversationSid],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      id: row.id,
      attempts: row.attempts,
      pendingSince: row.pending_since,
      nextAttemptAt: row.next_attempt_at,
      payload: { id: row.event_sid, type: row.type, createdAt: row.created_at.toISOString(), accountSid: row.account_sid, data: row.data },
    };
  } catch (error) {
    if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) return 'busy';
    throw error;
  }
}

export async function endpointForSending(tx: Queryable, endpointId: string, sealer: IdentitySecretSealer): Promise<EndpointForSending | undefined> {
  const { rows } = await tx.query<{
    id: string; url: string; enabled: boolean; secret: string | null; secret_sealed: Buffer | null;
    previous_secret: string | null; previous_secret_sealed: Buffer | null; overlap: boolean;
  }>(
    `SELECT id, url, enabled, secret, secret_sealed, previous_secret, previous_secret_sealed,
            coalesce(previous_secret_expires_at > now(), false) AS overlap
       FROM webhook_endpoints WHERE id = $1`,
    [endpointId],
  );
  const row = rows[0];
  if (!row) return undefined;
  const current = openWebhookSecret(sealer, row.id, { clear: row.secret, sealed: row.secret_sealed });
  const previous = row.overlap ? openWebhookSecret(sealer, row.id, { clear: row.previous_secret, sealed: row.previous_secret_sealed }) : null;
  if (current === null) throw new Error(`webhook ${row.id} has no secret`); // the table's constraint rules this out
  return { id: row.id, url: row.url, enabled: row.enabled, secrets: previous ? [current, previous] : [current] };
}

export interface AttemptRecord {
  deliveryId: string;
  endpointId: string;
  statusCode?: number;
  error?: string;
  latencyMs: number;
  outcome: AttemptOutcome | 'failed';
  nextAttemptAt?: Date;
}

/** The attempt and the delivery's new state in one round trip (the dispatcher's hot path). */
export async function recordAttempt(tx: Queryable, attempt: AttemptRecord): Promise<void> {
  const status = attempt.outcome === 'delivered' ? 'delivered' : attempt.outcome === 'failed' ? 'failed' : 'pending';
  await tx.query(
    `WITH attempt AS (
       INSERT INTO webhook_attempts (delivery_id, endpoint_id, status_code, error, latency_ms, outcome) VALUES ($1, $2, $3, $4, $5, $6)
     )
     UPDATE webhook_deliveries
        SET attempts = attempts + 1, status = $7, next_attempt_at = coalesce($8, next_attempt_at),
            finished_at = CASE WHEN $7 = 'pending' THEN NULL ELSE now() END
      WHERE id = $1`,
    [attempt.deliveryId, attempt.endpointId, attempt.statusCode ?? null, attempt.error ?? null, attempt.latencyMs, attempt.outcome, status, attempt.nextAttemptAt ?? null],
  );
  if (attempt.outcome === 'gone') {
    await tx.query(`UPDATE webhook_endpoints SET enabled = false, disabled_reason = 'gone', updated_at = now() WHERE id = $1`, [attempt.endpointId]);
  }
}

/** A delivery whose retry horizon passed before its next attempt was due: given up without sending. */
export async function markExpired(tx: Queryable, deliveryId: string): Promise<void> {
  await tx.query(`UPDATE webhook_deliveries SET status = 'failed', finished_at = now() WHERE id = $1`, [deliveryId]);
}

/** Which drain a wake-up is for: one endpoint's events of one conversation (the graphile-worker job key). */
export interface DrainTarget {
  endpointId: string;
  conversationSid: string;
}

/**
 * Schedules the drain of `target` at `runAt`: one job per target (job key), so a pending wake-up is moved, never
 * stacked. On a transaction, the job exists only once it commits: a successor can never start while this
 * transaction still holds the head's lock. `keepPending`: a wake-up already pending keeps its time; this one only
 * makes sure there is one.
 */
export async function wakeDrain(q: Queryable, target: DrainTarget, runAt: Date, options: { keepPending?: boolean } = {}): Promise<void> {
  await q.query('SELECT webhook_wake($1, $2, $3, $4)', [target.endpointId, target.conversationSid, runAt, options.keepPending ?? false]);
}

/**
 * Conversations with pending deliveries whose wake-up is overdue: the dispatcher that held them died
 * (graphile-worker keeps a dead worker's job locked for hours), so they are woken again by job key.
 */
export async function wakeOverdue(q: Queryable, graceSeconds: number): Promise<number> {
  const { rows } = await q.query<{ woken: number }>(
    `SELECT count(*)::int AS woken FROM (
       SELECT webhook_wake(p.endpoint_id, p.conversation_sid)
         FROM (SELECT DISTINCT d.endpoint_id, d.conversation_sid
                 FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id
                WHERE d.status = 'pending' AND w.enabled AND d.next_attempt_at <= now() - make_interval(secs => $1)) p) woken`,
    [graceSeconds],
  );
  return rows[0]?.woken ?? 0;
}
