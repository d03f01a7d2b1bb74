import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Queryable } from './pool';
import { NotFoundError } from './errors';

/**
 * The per-account secret customers sign identity tokens with. HS256 needs the secret itself to verify,
 * so it is sealed with AES-256-GCM under IDENTITY_SECRETS_KEY, the account SID bound as associated
 * data (a sealed secret copied to another account's row does not open). Layout: IV (12) | tag (16) | ciphertext.
 * Webhook signing secrets (HMAC, so also needed in clear to sign) are sealed the same way, bound to
 * `webhook:<endpoint id>` (webhook-secrets.ts).
 */
export class IdentitySecretSealer {
  private readonly key: Buffer;

  constructor(keyBase64url: string) {
    this.key = Buffer.from(keyBase64url, 'base64url');
    if (this.key.length !== 32) throw new Error('IDENTITY_SECRETS_KEY must be 32 bytes');
  }

  /** `boundTo`: the associated data (an account SID, or `webhook:<endpoint id>`); opening needs the same. */
  seal(boundTo: string, secret: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(boundTo, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
  }

  open(boundTo: string, sealed: Buffer): string {
    const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, 12));
    decipher.setAAD(Buffer.from(boundTo, 'utf8'));
    decipher.setAuthTag(sealed.subarray(12, 28));
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
  }
}

/** `is_` prefix and 256 random bits: recognisable in a secret scanner, far beyond guessing. */
export const generateIdentitySecret = () => `is_${randomBytes(32).toString('base64url')}`;

export interface SealedIdentitySecrets {
  current: Buffer;
  previous: Buffer | null;
  rotatedAt: Date;
}

export interface IdentitySecretRepository {
  find(accountSid: string): Promise<SealedIdentitySecrets | null>;
  /** The new secret becomes current; the old current stays valid as `previous` until retired. */
  rotate(accountSid: string, sealed: Buffer): Promise<{ hadPrevious: boolean }>;
  retirePrevious(accountSid: string): Promise<boolean>;
}

export function createIdentitySecretRepository(db: Queryable): IdentitySecretRepository {
  return {
    async find(accountSid) {
      const { rows } = await db.query<{ secret_sealed: Buffer; previous_sealed: Buffer | null; rotated_at: Date }>(
        'SELECT secret_sealed, previous_sealed, rotated_at FROM account_identity_secrets WHERE account_sid = $1',
        [accountSid],
      );
      const row = rows[0];
      return row ? { current: row.secret_sealed, previous: row.previous_sealed, rotatedAt: row.rotated_at } : null;
    },
    async rotate(accountSid, sealed) {
      const { rows } = await db.query<{ had_previous: boolean }>(
        `INSERT INTO account_identity_secrets (account_sid, secret_sealed)
         SELECT sid, $2 FROM accounts WHERE sid = $1
         ON CONFLICT (account_sid) DO UPDATE
           SET previous_sealed = account_identity_secrets.secret_sealed, secret_sealed = EXCLUDED.secret_sealed, rotated_at = now()
         RETURNING previous_sealed IS NOT NULL AS had_previous`,
        [accountSid, sealed],
      );
      if (!rows[0]) throw new NotFoundError(`account ${accountSid} does not exist`);
      return { hadPrevious: rows[0].had_previous };
    },
    async retirePrevious(accountSid) {
      const { rowCount } = await db.query(
        'UPDATE account_identity_secrets SET previous_sealed = NULL WHERE account_sid = $1 AND previous_sealed IS NOT NULL',
        [accountSid],
      );
      return (rowCount ?? 0) > 0;
    },
  };
}
