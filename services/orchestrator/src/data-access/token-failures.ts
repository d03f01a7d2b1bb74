import type { Queryable } from './pool';

/**
 * Fingerprint mismatches per guest token, shared by every replica (issue 12, finding 3). Keyed by the
 * SHA-256 of the token: the table can be read without handing out a usable token.
 */
export interface TokenFailureStore {
  /** Mismatches counted so far for this token (0 when none). */
  failures(tokenHash: Buffer): Promise<number>;
  /** Counts one more mismatch and returns the new count; the row may be pruned after `forgetAfter`. */
  recordFailure(tokenHash: Buffer, forgetAfter: Date): Promise<number>;
}

export function createTokenFailureStore(db: Queryable): TokenFailureStore {
  return {
    async failures(tokenHash) {
      const { rows } = await db.query<{ failures: number }>('SELECT failures FROM guest_token_failures WHERE token_hash = $1', [tokenHash]);
      return rows[0]?.failures ?? 0;
    },
    async recordFailure(tokenHash, forgetAfter) {
      // One statement: concurrent mismatches on two replicas both count (the UPDATE re-reads the row).
      const { rows } = await db.query<{ failures: number }>(
        `INSERT INTO guest_token_failures (token_hash, failures, forget_after) VALUES ($1, 1, $2)
         ON CONFLICT (token_hash) DO UPDATE SET failures = guest_token_failures.failures + 1, updated_at = now()
         RETURNING failures`,
        [tokenHash, forgetAfter],
      );
      return rows[0]!.failures;
    },
  };
}
