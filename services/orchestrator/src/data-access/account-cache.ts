import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { AccountConfiguration, AccountDetails, AccountRepository } from './account-repository';
import type { AccountChangeFeed } from './account-changes';

type Lookup = Pick<AccountRepository, 'findConfigurationByDeploymentKey' | 'getAccount'>;

export interface AccountCacheOptions {
  maxEntries?: number;
  /** A safety net only: freshness comes from the change feed, not from expiry. */
  maxAgeMs?: number;
  onLookup?: (result: 'hit' | 'miss' | 'bypass') => void;
}

/** Entries are boxed so that "no such key" can be cached too (a spray of unknown keys then costs no queries). */
interface Box<T> {
  value: T;
}

/**
 * The account store, cached across requests and kept exact by Postgres LISTEN/NOTIFY: a change to an
 * account drops its entries on every replica when the change commits. While the feed is down nothing
 * is served from (or put into) the cache, so a stale entry can never outlive a missed notification.
 */
export class CachedAccountLookup implements Lookup {
  private readonly byKeyHash: LRUCache<string, Box<AccountConfiguration | null>>;
  private readonly bySid: LRUCache<string, Box<AccountDetails | null>>;
  /** Bumped on every invalidation: a read that started before one must not fill the cache after it. */
  private generation = 0;

  constructor(
    private readonly store: Lookup,
    private readonly feed: AccountChangeFeed,
    private readonly options: AccountCacheOptions = {},
  ) {
    const settings = { max: options.maxEntries ?? 10_000, ttl: options.maxAgeMs ?? 5 * 60_000 };
    this.byKeyHash = new LRUCache(settings);
    this.bySid = new LRUCache(settings);
    feed.onChange((sid) => this.invalidate(sid));
    feed.onReset(() => this.clear());
  }

  findConfigurationByDeploymentKey(key: string): Promise<AccountConfiguration | null> {
    const hash = createHash('sha256').update(key, 'utf8').digest('base64url');
    return this.cached(this.byKeyHash, hash, () => this.store.findConfigurationByDeploymentKey(key));
  }

  getAccount(sid: string): Promise<AccountDetails | null> {
    return this.cached(this.bySid, sid, () => this.store.getAccount(sid));
  }

  private async cached<T>(cache: LRUCache<string, Box<T>>, key: string, load: () => Promise<T>): Promise<T> {
    if (!this.feed.connected) {
      this.options.onLookup?.('bypass');
      return load();
    }
    const hit = cache.get(key);
    if (hit) {
      this.options.onLookup?.('hit');
      return hit.value;
    }
    this.options.onLookup?.('miss');
    const generation = this.generation;
    const value = await load();
    if (this.feed.connected && generation === this.generation) cache.set(key, { value });
    return value;
  }

  /**
   * Drops the account's entries and every cached "unknown key" (a key just issued may be one of them).
   * A scan, not an index: changes are operator actions, rare next to lookups.
   */
  private invalidate(accountSid: string): void {
    this.generation += 1;
    for (const [hash, box] of this.byKeyHash.entries()) {
      if (box.value === null || box.value.accountSid === accountSid) this.byKeyHash.delete(hash);
    }
    this.bySid.delete(accountSid);
  }

  private clear(): void {
    this.generation += 1;
    this.byKeyHash.clear();
    this.bySid.clear();
  }
}
