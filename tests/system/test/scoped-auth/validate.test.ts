import { ServiceIdentities } from '@webchat/test-harness';
import { ACCOUNT_SID, nowSeconds, startScopedAuth, type ScopedAuthUnderTest } from '@webchat/test-harness';

const grants = { webchat: { role: 'guest', accountSid: ACCOUNT_SID } };
const FINGERPRINT = 'fp-of-this-browser';

describe('scoped-auth validate', () => {
  const services = new ServiceIdentities();
  let sas: ScopedAuthUnderTest;

  beforeAll(async () => {
    sas = await startScopedAuth({ services });
  });
  afterAll(() => sas.close());

  test('when the token is a plain JWS (even one this service signed), then 401 token_invalid: only the JWE form is accepted', async () => {
    const minted = await sas.generate({ accountSid: ACCOUNT_SID, grants, encrypt: false });
    const res = await sas.validate(minted.body.token);
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'token_invalid' });
  });

  describe.each([['encrypted', true]])('a %s token', (_kind, encrypt) => {
    test('when it is unbound and sent without a fingerprint, then 200 with its claims', async () => {
      const sessionStartedAt = nowSeconds() - 30;
      const minted = await sas.generate({ accountSid: ACCOUNT_SID, grants, encrypt, sessionStartedAt });
      const res = await sas.validate(minted.body.token);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toEqual({
        accountSid: ACCOUNT_SID,
        identity: minted.body.identity,
        grants,
        expiresAt: minted.body.expiresAt,
        sessionStartedAt,
        fingerprintBound: false,
      });
    });

    test('when it is unbound and a fingerprint is sent anyway, then 200 and it says it is not bound', async () => {
      const minted = await sas.generate({ accountSid: ACCOUNT_SID, grants, encrypt });
      const res = await sas.validate(minted.body.token, FINGERPRINT);
      expect(res.status).toBe(200);
      expect(res.body.fingerprintBound).toBe(false);
    });

    test('when it is bound and the same fingerprint is sent, then 200 and fingerprintBound', async () => {
      const minted = await sas.generate({ accountSid: ACCOUNT_SID, grants, encrypt, fingerprint: FINGERPRINT });
      const res = await sas.validate(minted.body.token, FINGERPRINT);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ identity: minted.body.identity, fingerprintBound: true });
    });

    test('when it is bound and another fingerprint is sent, then 401 fingerprint_mismatch', async () => {
      const minted = await sas.generate({ accountSid: ACCOUNT_SID, grants, encrypt, fingerprint: FINGERPRINT });
      const res = await sas.validate(minted.body.token, `${FINGERPRINT}-other`);
      expect(res.status).toBe(401);
      expect(res.contentType).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ code: 'fingerprint_mismatch', status: 401 });
    });

    test('when it is bound and no fingerprint is sent, then 401 fingerprint_required', async () => {
      const minted = await sas.generate({ accountSid: ACCOUNT_SID, grants, encrypt, fingerprint: FINGERPRINT });
      const res = await sas.validate(minted.body.token);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('fingerprint_required');
    });
  });

  test('when one of several fingerprint candidates matches, then 200', async () => {
    const minted = await sas.generate({ accountSid: ACCOUNT_SID, grants, fingerprint: FINGERPRINT });
    const res = await sas.validate(minted.body.token, undefined, { fingerprintCandidates: ['low', FINGERPRINT, 'high'] });
    expect(res.status).toBe(200);
    expect(res.body.fingerprintBound).toBe(true);
  });

  test('when no fingerprint candidate matches, then 401 fingerprint_mismatch', async () => {
    const minted = await sas.generate({ accountSid: ACCOUNT_SID, grants, fingerprint: FINGERPRINT });
    const res = await sas.validate(minted.body.token, 'a', { fingerprintCandidates: ['b', 'c'] });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('fingerprint_mismatch');
  });

  test('when the token is not a JWS or JWE at all, then 401 token_invalid', async () => {
    for (const token of ['garbage', 'a.b', 'a.b.c.d', 'a.b.c.d.e.f', '...', '....']) {
      const res = await sas.validate(token);
      expect({ token, status: res.status, code: res.body.code }).toEqual({ token, status: 401, code: 'token_invalid' });
    }
  });

  describe('a previous token (expiredGraceSeconds: everything checked but exp, which may be that far in the past)', () => {
    const DAY = 86_400;
    let past: ScopedAuthUnderTest;
    beforeAll(async () => {
      // Mints as if two days ago: its tokens (1 h) expired about 47 hours ago.
      past = await startScopedAuth({ services, material: sas.material, now: () => nowSeconds() - 2 * DAY });
    });
    afterAll(() => past.close());

    test('when it expired within the grace, then 200 with its identity', async () => {
      const minted = await past.generate({ accountSid: ACCOUNT_SID, grants, ttl: 3600 });
      const res = await sas.validate(minted.body.token, undefined, { expiredGraceSeconds: 30 * DAY });
      expect(res.status).toBe(200);
      expect(res.body.identity).toBe(minted.body.identity);
    });

    test('when it expired longer ago than the grace, then 401 token_expired', async () => {
      const minted = await past.generate({ accountSid: ACCOUNT_SID, grants, ttl: 3600 });
      const res = await sas.validate(minted.body.token, undefined, { expiredGraceSeconds: DAY });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'token_expired' });
    });

    test('when no grace is asked for, then an expired token is token_expired as always', async () => {
      const minted = await past.generate({ accountSid: ACCOUNT_SID, grants, ttl: 3600 });
      const res = await sas.validate(minted.body.token);
      expect(res.body.code).toBe('token_expired');
    });

    test('when it is bound and presented by another client within the grace, then 401 fingerprint_mismatch', async () => {
      const minted = await past.generate({ accountSid: ACCOUNT_SID, grants, ttl: 3600, fingerprint: FINGERPRINT });
      const res = await sas.validate(minted.body.token, 'another-browser', { expiredGraceSeconds: 30 * DAY });
      expect(res.body.code).toBe('fingerprint_mismatch');
    });
  });
});
