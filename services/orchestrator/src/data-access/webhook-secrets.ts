import type { IdentitySecretSealer } from './identity-secrets';
import type { Database } from './pool';

/*
 * Webhook signing secrets at rest: sealed with IDENTITY_SECRETS_KEY (AES-256-GCM), bound to the endpoint, so a
 * sealed secret copied to another endpoint's row does not open. Signing (HMAC) needs them in clear, so only the
 * dispatcher (to sign) and the CLI (to seal what it prints once) hold the key.
 */
const boundTo = (endpointId: string) => `webhook:${endpointId}`;

export const sealWebhookSecret = (sealer: IdentitySecretSealer, endpointId: string, secret: string): Buffer => sealer.seal(boundTo(endpointId), secret);

/** A row's secret, sealed or (written before secrets were sealed, until sealed) in clear. */
export interface StoredSecret {
  clear: string | null;
  sealed: Buffer | null;
}

/** A sealed secret that does not open: IDENTITY_SECRETS_KEY is not the one it was sealed with. */
export class WebhookSecretUnreadable extends Error {
  readonly code = 'webhook_secret_unreadable';
  constructor(endpointId: string) {
    super(`the signing secret of webhook ${endpointId} does not open with IDENTITY_SECRETS_KEY (not the key it was sealed with)`);
  }
}

export function openWebhookSecret(sealer: IdentitySecretSealer, endpointId: string, stored: StoredSecret): string | null {
  if (!stored.sealed) return stored.clear;
  try {
    return sealer.open(boundTo(endpointId), stored.sealed);
  } catch {
    throw new WebhookSecretUnreadable(endpointId);
  }
}

/**
 * Seals the secrets of endpoints written before secrets were sealed (migration 1765152000001 could not: the key is
 * not in the database). Idempotent; run by `webchat-admin migrate` when it has the key and by the dispatcher at start.
 */
export async function sealClearWebhookSecrets(db: Database, sealer: IdentitySecretSealer): Promise<number> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string; secret: string | null; previous_secret: string | null }>(
      'SELECT id, secret, previous_secret FROM webhook_endpoints WHERE secret IS NOT NULL OR previous_secret IS NOT NULL FOR UPDATE',
    );
    for (const row of rows) {
      await tx.query(
        `UPDATE webhook_endpoints
            SET secret_sealed = coalesce($2, secret_sealed), secret = NULL,
                previous_secret_sealed = coalesce($3, previous_secret_sealed), previous_secret = NULL
          WHERE id = $1`,
        [row.id, row.secret && sealWebhookSecret(sealer, row.id, row.secret), row.previous_secret && sealWebhookSecret(sealer, row.id, row.previous_secret)],
      );
    }
    return rows.length;
  });
}
