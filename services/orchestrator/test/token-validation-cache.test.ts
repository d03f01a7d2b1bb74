import type { ValidateScopedTokenRequest, ValidateScopedTokenResponse } from '@webchat/contracts';
import { AppError } from '@webchat/errors';
import { cachedTokenValidation } from '../src/data-access/token-validation-cache';
import type { TokenServices } from '../src/domain/token-services';

const TOKEN = 'header.key.iv.ciphertext.tag';
const SIGNALS_A = ['a'.repeat(64)];
const SIGNALS_B = ['b'.repeat(64)];

/** scoped-auth as the cache sees it: answers every question it is asked, and counts them. */
function scopedAuth(expiresAtMs: number) {
  const asked: ValidateScopedTokenRequest[] = [];
  let refuse = false;
  const services: TokenServices = {
    createToken: () => Promise.reject(new Error('not used')),
    close: () => undefined,
    async validateToken(body) {
      asked.push(body);
      if (refuse) throw new AppError('fingerprint_mismatch', 'no');
      const verdict: ValidateScopedTokenResponse = {
        accountSid: `AC${'0'.repeat(32)}`,
        identity: '00000000-0000-4000-8000-000000000000',
        grants: {},
        expiresAt: new Date(expiresAtMs).toISOString(),
        sessionStartedAt: 1,
        fingerprintBound: true,
      };
      return verdict;
    },
  };
  return { services, asked, refuseFromNowOn: () => (refuse = true) };
}

describe('reusing scoped-auth verdicts on guest tokens', () => {
  let clock = 1_000_000;
  const now = () => clock;
  const lookups: string[] = [];
  const build = (expiresInMs = 3_600_000, maxAgeMs = 30_000) => {
    lookups.length = 0;
    const upstream = scopedAuth(clock + expiresInMs);
    const cached = cachedTokenValidation(upstream.services, { maxAgeMs, maxEntries: 100, now, onLookup: (result) => lookups.push(result) });
    return { upstream, cached };
  };

  test('when a guest uses the same token with the same signals again within the window, then scoped-auth is asked once', async () => {
    const { upstream, cached } = build();
    const first = await cached.validateToken({ token: TOKEN, fingerprintCandidates: SIGNALS_A });
    clock += 29_000;
    const second = await cached.validateToken({ token: TOKEN, fingerprintCandidates: SIGNALS_A });
    expect(second).toEqual(first);
    expect(upstream.asked).toHaveLength(1);
    expect(lookups).toEqual(['miss', 'hit']);
  });

  test('when the window has passed, then scoped-auth is asked again', async () => {
    const { upstream, cached } = build();
    await cached.validateToken({ token: TOKEN, fingerprintCandidates: SIGNALS_A });
    clock += 30_001;
    await cached.validateToken({ token: TOKEN, fingerprintCandidates: SIGNALS_A });
    expect(upstream.asked).toHaveLength(2);
  });

  test('when the token expires inside the window, then its verdict is not reused past the expiry', async () => {
    const { upstream, cached } = build(5_000);
    await cached.validateToken({ token: TOKEN, fingerprintCandidates: SIGNALS_A });
    clock += 4_000;
    await cached.validateToken({ token: TOKEN, fingerprintCandidates: SIGNALS_A });
    expect(upstream.asked).toHaveLength(1);
    clock += 1_000;
    await cached.validateToken({ token: TOKEN, fingerprintCandidates: SIGNALS_A });
    expect(upstream.asked).toHaveLength(2);
  });

  test('when the same token comes with other fingerprint signals, then it is a new question for scoped-auth (every guess is checked and counted there)', async () => {
    const { upstream, cached } = build();
    await cached.validateToken({ token: TOKEN, fingerprintCandidates: SIGNALS_A });
    upstream.refuseFromNowOn();
    await expect(cached.validateToken({ token: TOKEN, fingerprintCandidates: SIGNALS_B })).rejects.toMatchObject({ code: 'fingerprint_mismatch' });
    await expect(cached.validateToken({ token: TOKEN })).rejects.toMatchObject({ code: 'fingerprint_mismatch' });
    expect(upstream.asked.map((body) => body.fingerprintCandidates)).toEqual([SIGNALS_A, SIGNALS_B, undefined]);
  });

  test('when scoped-auth refuses a token, then the refusal is not remembered: the next use asks again', async () => {
    const { upstream, cached } = build();
    upstream.refuseFromNowOn();
    await expect(cached.validateToken({ token: TOKEN, fingerprintCandidates: SIGNALS_A })).rejects.toThrow();
    await expect(cached.validateToken({ token: TOKEN, fingerprintCandidates: SIGNALS_A })).rejects.toThrow();
    expect(upstream.asked).toHaveLength(2);
  });

  test('when a previous token is presented as proof of identity (expired grace), then it is always checked by scoped-auth and never cached', async () => {
    const { upstream, cached } = build();
    await cached.validateToken({ token: TOKEN, fingerprintCandidates: SIGNALS_A, expiredGraceSeconds: 60 });
    await cached.validateToken({ token: TOKEN, fingerprintCandidates: SIGNALS_A, expiredGraceSeconds: 60 });
    await cached.validateToken({ token: TOKEN, fingerprintCandidates: SIGNALS_A });
    expect(upstream.asked).toHaveLength(3);
    expect(lookups).toEqual(['bypass', 'bypass', 'miss']);
  });

  test('when more tokens are in use than the cache holds, then the least recently used verdicts are the ones asked for again', async () => {
    const upstream = scopedAuth(clock + 3_600_000);
    const cached = cachedTokenValidation(upstream.services, { maxAgeMs: 30_000, maxEntries: 2, now });
    for (const token of ['t1', 't2', 't1', 't3', 't1', 't2']) await cached.validateToken({ token: `${TOKEN}.${token}` });
    expect(upstream.asked.map((body) => body.token.split('.').at(-1))).toEqual(['t1', 't2', 't3', 't2']);
  });
});
