import { randomUUID } from 'node:crypto';
import { generateSigningSecret, WEBHOOK_EVENT_TYPES } from '../domain/webhook-events';
import { urlFormProblem, type UrlPolicy } from '../domain/webhook-urls';
import { InvalidInputError, NotFoundError, forExistingAccount } from './errors';
import type { IdentitySecretSealer } from './identity-secrets';
import type { Database, Queryable } from './pool';
import { sealWebhookSecret } from './webhook-secrets';

/** An endpoint as the operator sees it: never its secret (that is printed once, by add and rotate). */
export interface WebhookEndpoint {
  id: string;
  accountSid: string;
  url: string;
  events: string[];
  enabled: boolean;
  disabledReason: 'operator' | 'gone' | null;
  previousSecretExpiresAt: string | null;
  createdAt: string;
}

export interface DeliveryAttempt {
  attemptedAt: string;
  endpointId: string;
  eventId: string;
  type: string;
  conversationSid: string;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  outcome: string;
  deliveryStatus: string;
}

/** An endpoint as pg returns it: the columns named as WebhookEndpoint's fields, timestamps still Dates. */
type EndpointRow = Omit<WebhookEndpoint, 'previousSecretExpiresAt' | 'createdAt'> & { previousSecretExpiresAt: Date | null; createdAt: Date };

const ENDPOINT_COLUMNS =
  'id, account_sid AS "accountSid", url, events, enabled, disabled_reason AS "disabledReason", ' +
  'previous_secret_expires_at AS "previousSecretExpiresAt", created_at AS "createdAt"';

const toEndpoint = (row: EndpointRow): WebhookEndpoint => ({
  ...row,
  previousSecretExpiresAt: row.previousSecretExpiresAt?.toISOString() ?? null,
  createdAt: row.createdAt.toISOString(),
});

const newEndpointId = () => `WH${randomUUID().replaceAll('-', '')}`;

/** Re-queues events for delivery with their original ids: pending again, a fresh retry horizon. */
const REPLAY_SQL = `
  WITH chosen AS (
    SELECT w.id AS endpoint_id, e.id AS event_id, e.conversation_sid, e.position
      FROM conversation_events e
      JOIN webhook_endpoints w ON w.account_sid = e.account_sid AND w.enabled AND e.type = ANY (w.events)
     WHERE %WHERE%
  ), queued AS (
    INSERT INTO webhook_deliveries (endpoint_id, event_id, conversation_sid, position)
    SELECT endpoint_id, event_id, conversation_sid, position FROM chosen
    ON CONFLICT (endpoint_id, event_id) DO UPDATE
      SET status = 'pending', pending_since = now(), next_attempt_at = now(), finished_at = NULL
    RETURNING endpoint_id, conversation_sid
  )
  SELECT coalesce(sum(grouped.n), 0)::int AS queued
    FROM (SELECT endpoint_id, conversation_sid, count(*) AS n FROM queued GROUP BY 1, 2) grouped,
         LATERAL webhook_wake(grouped.endpoint_id, grouped.conversation_sid)`;

/** `sealer`: asked for only when a secret is made (add, rotate), so listing works without IDENTITY_SECRETS_KEY. */
export function createWebhookRepository(db: Database, policy: UrlPolicy, sealer: () => IdentitySecretSealer) {
  async function endpoint(id: string, q: Queryable = db): Promise<EndpointRow> {
    const { rows } = await q.query<EndpointRow>(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1`, [id]);
    if (!rows[0]) throw new NotFoundError(`webhook ${id} does not exist`);
    return rows[0];
  }

  async function replay(where: string, values: unknown[]): Promise<number> {
    const { rows } = await db.query<{ queued: number }>(REPLAY_SQL.replace('%WHERE%', where), values);
    return rows[0]?.queued ?? 0;
  }

  return {
    async addEndpoint(input: { accountSid: string; url: string; events?: string[] }): Promise<WebhookEndpoint & { secret: string }> {
      const problem = urlFormProblem(input.url, policy);
      if (problem) throw new InvalidInputError(`--url ${problem}`);
      const events = input.events ?? [...WEBHOOK_EVENT_TYPES];
      const unknown = events.filter((type) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(type));
      if (events.length === 0 || unknown.length > 0) {
        throw new InvalidInputError(`--events must name some of ${WEBHOOK_EVENT_TYPES.join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`);
      }
      const secret = generateSigningSecret();
      const id = newEndpointId();
      const { rows } = await forExistingAccount(input.accountSid, () =>
        db.query<EndpointRow>(
          `INSERT INTO webhook_endpoints (id, account_sid, url, events, secret_sealed) VALUES ($1, $2, $3, $4, $5) RETURNING ${ENDPOINT_COLUMNS}`,
          [id, input.accountSid, input.url, [...new Set(events)], sealWebhookSecret(sealer(), id, secret)],
        ),
      );
      return { ...toEndpoint(rows[0] as EndpointRow), secret };
    },

    async listEndpoints(accountSid: string): Promise<WebhookEndpoint[]> {
      const { rows } = await db.query<EndpointRow>(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE account_sid = $1 ORDER BY created_at, id`, [accountSid]);
      return rows.map(toEndpoint);
    },

    async removeEndpoint(id: string): Promise<void> {
      const { rowCount } = await db.query('DELETE FROM webhook_endpoints WHERE id = $1', [id]);
      if (!rowCount) throw new NotFoundError(`webhook ${id} does not exist`);
    },

    /** The new secret signs from now on; the old one keeps signing beside it for `overlapSeconds`. */
    async rotateSecret(id: string, overlapSeconds: number): Promise<WebhookEndpoint & { secret: string }> {
      const secret = generateSigningSecret();
      const { rows } = await db.query<EndpointRow>(
        `UPDATE webhook_endpoints
            SET previous_secret = secret, previous_secret_sealed = secret_sealed, secret = NULL, secret_sealed = $2,
                previous_secret_expires_at = now() + make_interval(secs => $3), updated_at = now()
          WHERE id = $1 RETURNING ${ENDPOINT_COLUMNS}`,
        [id, sealWebhookSecret(sealer(), id, secret), overlapSeconds],
      );
      if (!rows[0]) throw new NotFoundError(`webhook ${id} does not exist`);
      return { ...toEndpoint(rows[0]), secret };
    },

    /** Enabling wakes every conversation with pending deliveries, so what waited is sent (in order). */
    async setEnabled(id: string, enabled: boolean): Promise<WebhookEndpoint> {
      return db.transaction(async (tx) => {
        await endpoint(id, tx);
        const { rows } = await tx.query<EndpointRow>(
          `UPDATE webhook_endpoints SET enabled = $2, disabled_reason = CASE WHEN $2 THEN NULL ELSE 'operator' END, updated_at = now()
            WHERE id = $1 RETURNING ${ENDPOINT_COLUMNS}`,
          [id, enabled],
        );
        if (enabled) {
          await tx.query(
            `SELECT webhook_wake(endpoint_id, conversation_sid)
               FROM (SELECT DISTINCT endpoint_id, conversation_sid FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'pending') p`,
            [id],
          );
        }
        return toEndpoint(rows[0] as EndpointRow);
      });
    },

    /** Each attempt of the account's endpoints, newest last; `failedOnly`: attempts of deliveries that gave up. */
    async listAttempts(accountSid: string, options: { failedOnly?: boolean; since?: Date; limit?: number } = {}): Promise<DeliveryAttempt[]> {
      const { rows } = await db.query<{
        attempted_at: Date; endpoint_id: string; event_sid: string; type: string; conversation_sid: string; attempt: string;
        status_code: number | null; error: string | null; latency_ms: number; outcome: string; delivery_status: string;
      }>(
        `SELECT a.attempted_at, a.endpoint_id, e.event_sid, e.type, e.conversation_sid, a.status_code, a.error, a.latency_ms, a.outcome,
                d.status AS delivery_status, row_number() OVER (PARTITION BY a.delivery_id ORDER BY a.id) AS attempt
           FROM webhook_attempts a
           JOIN webhook_endpoints w ON w.id = a.endpoint_id
           JOIN webhook_deliveries d ON d.id = a.delivery_id
           JOIN conversation_events e ON e.id = d.event_id
          WHERE w.account_sid = $1 AND ($2::timestamptz IS NULL OR a.attempted_at >= $2) AND (NOT $3 OR d.status = 'failed')
          ORDER BY a.attempted_at, a.id
          LIMIT $4`,
        [accountSid, options.since ?? null, options.failedOnly ?? false, options.limit ?? 1000],
      );
      return rows.map((row) => ({
        attemptedAt: row.attempted_at.toISOString(),
        endpointId: row.endpoint_id,
        eventId: row.event_sid,
        type: row.type,
        conversationSid: row.conversation_sid,
        attempt: Number(row.attempt),
        statusCode: row.status_code,
        error: row.error,
        latencyMs: row.latency_ms,
        outcome: row.outcome,
        deliveryStatus: row.delivery_status,
      }));
    },

    /** Sends one event again, with the same id, to every enabled endpoint subscribed to it. */
    async replayEvent(eventSid: string): Promise<number> {
      const { rowCount } = await db.query('SELECT 1 FROM conversation_events WHERE event_sid = $1', [eventSid]);
      if (!rowCount) throw new NotFoundError(`event ${eventSid} does not exist`);
      return replay('e.event_sid = $1', [eventSid]);
    },

    /** An account's (AC...) or one conversation's (CH...) events since a time. */
    async replaySince(sid: string, since: Date): Promise<number> {
      const column = sid.startsWith('AC') ? 'e.account_sid' : 'e.conversation_sid';
      return replay(`${column} = $1 AND e.created_at >= $2`, [sid, since]);
    },
  };
}

export type WebhookRepository = ReturnType<typeof createWebhookRepository>;
