import type { Queryable } from './pool';
import type { AccountChangeFeed } from './account-changes';
import type { TokenFailureStore } from '../domain/guest-tokens';

export type { TokenFailureStore };

export function createTokenFailureStore(db: Queryable): TokenFailureStore & { suspects(): Promise<Buffer[]> } {
  return {
    /** Every token that has failed and may still be presented. */
    async suspects() {
      const { rows } = await db.query<{ token_hash: Buffer }>('SELECT token_hash FROM guest_token_failures WHERE forget_after > now()');
      return rows.map((row) => row.token_hash);
    },
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

export const TOKEN_FAILURES_CHANNEL = 'webchat_token_failures';

/**
 * Keeps the warm path free of store queries: every replica hears (LISTEN/NOTIFY) of each mismatch
 * counted anywhere, so a token that never failed is known clean from memory, and only a token that
 * has failed somewhere is read from the store (exactly) on each use. While the feed is down, or after
 * it reconnected and before the failing tokens were re-read, every check goes to the store.
 */
export function watchedTokenFailures(
  store: TokenFailureStore & { suspects(): Promise<Buffer[]> },
  feed: Pick<AccountChangeFeed, 'connected' | 'onChange' | 'onReset'>,
): TokenFailureStore {
  const suspects = new Set<string>();
  let loaded = false;
  let generation = 0;
  feed.onChange((hex) => suspects.add(hex));
  feed.onReset(() => {
    generation += 1;
    loaded = false;
    suspects.clear();
  });
  return {
    async failures(tokenHash) {
      if (!feed.connected) return store.failures(tokenHash);
      if (!loaded) {
        const started = generation;
        const hashes = await store.suspects();
        if (started === generation) {
          for (const hash of hashes) suspects.add(hash.toString('hex'));
          loaded = true;
        }
      }
      return suspects.has(tokenHash.toString('hex')) ? store.failures(tokenHash) : 0;
    },
    async recordFailure(tokenHash, forgetAfter) {
      suspects.add(tokenHash.toString('hex'));
      return store.recordFailure(tokenHash, forgetAfter);
    },
  };
}
