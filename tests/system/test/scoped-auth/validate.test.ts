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

  describe.each([
    ['encrypted', true],
    ['plain JWS', false],
  ])('a %s token', (_kind, encrypt) => {
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
});
