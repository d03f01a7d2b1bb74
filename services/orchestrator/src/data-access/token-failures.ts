import type { Queryable } from './pool';
import type { AccountChangeFeed } from './account-changes';
import type { TokenFailureStore } from '../domain/guest-tokens';

export type { TokenFailureStore };

export interface TokenFailureTable extends TokenFailureStore {
  /** Every token that has failed and may still be presented. */
  suspects(): Promise<Buffer[]>;
  /** Deletes at most `batchSize` rows whose tokens can no longer be presented at all; returns how many went. */
  prune(batchSize: number): Promise<number>;
}

export function createTokenFailureStore(db: Queryable): TokenFailureTable {
  return {
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
    async prune(batchSize) {
      // A bounded batch along the forget_after index; SKIP LOCKED lets replicas pruning at once share the work.
      const { rowCount } = await db.query(
        `DELETE FROM guest_token_failures WHERE token_hash IN (
           SELECT token_hash FROM guest_token_failures WHERE forget_after <= now() ORDER BY forget_after LIMIT $1 FOR UPDATE SKIP LOCKED)`,
        [batchSize],
      );
      return rowCount ?? 0;
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
  store: Pick<TokenFailureTable, 'failures' | 'recordFailure' | 'suspects'>,
  feed: Pick<AccountChangeFeed, 'connected' | 'onChange' | 'onReset'>,
): TokenFailureStore & { forgetPruned(): void } {
  const suspects = new Set<string>();
  let loaded = false;
  let generation = 0;
  const reload = () => {
    generation += 1;
    loaded = false;
    suspects.clear();
  };
  feed.onChange((hex) => suspects.add(hex));
  feed.onReset(reload);
  return {
    /**
     * Rows were pruned (here or on another replica, which sends no notice of it): the memory of failing
     * tokens is rebuilt from the store on the next check, so it shrinks with the table.
     */
    forgetPruned() {
      if (suspects.size > 0) reload();
    },
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

