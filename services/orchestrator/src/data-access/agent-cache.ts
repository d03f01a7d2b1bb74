import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { AccountChangeFeed } from './account-changes';
import type { AgentRecord, AgentRepository } from './agent-repository';

type Lookup = Pick<AgentRepository, 'findAgentByKey'>;

/**
 * Agent keys, cached like deployment keys and kept exact the same way: removing an agent (or suspending its
 * account) notifies `webchat_account_changes` at commit and every replica drops that account's entries. While
 * the feed is down nothing is served from the cache, so a revoked key never outlives a missed notification.
 */
export class CachedAgentLookup implements Lookup {
  private readonly byKeyHash: LRUCache<string, { value: AgentRecord | null }>;
  private generation = 0;

  constructor(
    private readonly store: Lookup,
    private readonly feed: AccountChangeFeed,
    options: { maxEntries?: number } = {},
  ) {
    this.byKeyHash = new LRUCache({ max: options.maxEntries ?? 10_000, ttl: 5 * 60_000 });
    feed.onChange((accountSid) => this.invalidate(accountSid));
    feed.onReset(() => {
      this.generation += 1;
      this.byKeyHash.clear();
    });
  }

  async findAgentByKey(key: string): Promise<AgentRecord | null> {
    if (!this.feed.connected) return this.store.findAgentByKey(key);
    const hash = createHash('sha256').update(key, 'utf8').digest('base64url');
    const hit = this.byKeyHash.get(hash);
    if (hit) return hit.value;
    const generation = this.generation;
    const value = await this.store.findAgentByKey(key);
    if (this.feed.connected && generation === this.generation) this.byKeyHash.set(hash, { value });
    return value;
  }

  /** A cached "unknown key" may be the key just added, so those go too. */
  private invalidate(accountSid: string): void {
    this.generation += 1;
    for (const [hash, box] of this.byKeyHash.entries()) {
      if (box.value === null || box.value.accountSid === accountSid) this.byKeyHash.delete(hash);
    }
  }
}
