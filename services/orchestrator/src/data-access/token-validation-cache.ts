import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { ValidateScopedTokenRequest, ValidateScopedTokenResponse } from '@webchat/contracts';
import type { TokenServices } from '../domain/token-services';

export interface TokenValidationCacheOptions {
  /** How long a successful validation is reused; never past the token's own expiry. */
  maxAgeMs: number;
  maxEntries: number;
  onLookup?: (result: 'hit' | 'miss' | 'bypass') => void;
  /** For tests: the clock expiry is judged by. */
  now?: () => number;
}

/**
 * Reuses scoped-auth's verdict on a guest token for a short while, so a guest's next requests (posting,
 * reading, opening a stream) skip a service hop, a JWE decryption and an ES256 verification each.
 *
 * Only a success is remembered, and only for the exact question asked: the token and the fingerprint
 * candidates of this request. A request with other signals is a new question (so every fingerprint guess
 * still reaches scoped-auth and is counted as a mismatch), a previous-token proof (expired grace) is never
 * cached, and an entry dies at the token's `expiresAt` at the latest. What can end a token early is checked
 * by the callers on every use, cache or not: the shared mismatch count and the minting key's status.
 * What the cache delays by up to `maxAgeMs` is scoped-auth withdrawing a decryption or signing key.
 */
export function cachedTokenValidation(tokens: TokenServices, options: TokenValidationCacheOptions): TokenServices {
  const now = options.now ?? Date.now;
  const verdicts = new LRUCache<string, { response: ValidateScopedTokenResponse; until: number }>({ max: options.maxEntries });

  const keyOf = (body: ValidateScopedTokenRequest) => {
    const hash = createHash('sha256').update(body.token, 'utf8');
    if (body.fingerprint !== undefined) hash.update('\nfingerprint\n').update(body.fingerprint, 'utf8');
    for (const candidate of body.fingerprintCandidates ?? []) hash.update('\ncandidate\n').update(candidate, 'utf8');
    return hash.digest('base64url');
  };

  return {
    createToken: (accountSid, body) => tokens.createToken(accountSid, body),
    close: () => tokens.close(),
    async validateToken(body) {
      if (body.expiredGraceSeconds !== undefined) {
        options.onLookup?.('bypass');
        return tokens.validateToken(body);
      }
      const key = keyOf(body);
      const known = verdicts.get(key);
      if (known && known.until > now()) {
        options.onLookup?.('hit');
        return known.response;
      }
      if (known) verdicts.delete(key);
      options.onLookup?.('miss');
      const response = await tokens.validateToken(body);
      const until = Math.min(now() + options.maxAgeMs, Date.parse(response.expiresAt));
      if (until > now()) verdicts.set(key, { response, until });
      return response;
    },
  };
}
