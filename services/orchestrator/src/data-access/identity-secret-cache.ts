import { LRUCache } from 'lru-cache';
import type { AccountChangeFeed } from './account-changes';
import type { IdentitySecretRepository, IdentitySecretSealer } from './identity-secrets';
import type { IdentitySecretLookup } from '../domain/identity-token';

export type { IdentitySecretLookup };

/**
 * Opened secrets kept in memory like the account cache (warm requests make no store query), dropped on
 * every replica by the account change feed when a secret is rotated or retired; bypassed while the feed is down.
 */
export function cachedIdentitySecrets(repository: Pick<IdentitySecretRepository, 'find'>, sealer: IdentitySecretSealer, feed?: AccountChangeFeed): IdentitySecretLookup {
  const cache = new LRUCache<string, { secrets: string[] }>({ max: 10_000, ttl: 5 * 60_000 });
  let generation = 0;
  feed?.onChange((sid) => {
    generation += 1;
    cache.delete(sid);
  });
  feed?.onReset(() => {
    generation += 1;
    cache.clear();
  });
  const load = async (accountSid: string): Promise<string[]> => {
    const sealed = await repository.find(accountSid);
    if (!sealed) return [];
    return [sealed.current, ...(sealed.previous ? [sealed.previous] : [])].map((box) => sealer.open(accountSid, box));
  };
  return async (accountSid) => {
    if (!feed?.connected) return load(accountSid);
    const hit = cache.get(accountSid);
    if (hit) return hit.secrets;
    const started = generation;
    const secrets = await load(accountSid);
    if (feed.connected && started === generation) cache.set(accountSid, { secrets });
    return secrets;
  };
}
