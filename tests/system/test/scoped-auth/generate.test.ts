import { createHash } from 'node:crypto';
import { ServiceIdentities } from '@webchat/test-harness';
import { ACCOUNT_SID, ADDRESS_SID, TEST_TOKEN_SETTINGS, nowSeconds, startScopedAuth, type ScopedAuthUnderTest } from '@webchat/test-harness';
import { decrypt, payloadOf, unb64json } from '@webchat/test-harness';
import { request } from '@webchat/test-harness';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const grants = { webchat: { role: 'guest', accountSid: ACCOUNT_SID, addressSid: ADDRESS_SID } };

describe('scoped-auth generate', () => {
  const services = new ServiceIdentities();
  let sas: ScopedAuthUnderTest;

  beforeAll(async () => {
    sas = await startScopedAuth({ services });
  });
  afterAll(() => sas.close());

  test('when encrypt is left to its default, then the token is a dir/A256GCM JWE around an ES256 JWS', async () => {
    const before = nowSeconds();
    const res = await sas.generate({ accountSid: ACCOUNT_SID, grants });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(res.body).sort()).toEqual(['expiresAt', 'identity', 'token']);
    expect(res.body.identity).toMatch(UUID);

    const parts = (res.body.token as string).split('.');
    expect(parts).toHaveLength(5);
    expect(unb64json(parts[0]!)).toEqual({ alg: 'dir', enc: 'A256GCM', kid: 'enc-1', cty: 'JWT' });
    expect(parts[1]).toBe('');

    const jws = await decrypt(res.body.token, sas.material.encryption[0]!);
    expect(unb64json(jws.split('.')[0]!)).toEqual({ alg: 'ES256', typ: 'wct+jwt', kid: 'sig-1' });
    const claims = payloadOf(jws);
    expect(claims).toEqual({
      iss: TEST_TOKEN_SETTINGS.issuer,
      sub: res.body.identity,
      aud: TEST_TOKEN_SETTINGS.audience,
      iat: expect.any(Number),
      nbf: claims.iat,
      exp: (claims.iat as number) + 3600,
      jti: expect.stringMatching(UUID),
      account_sid: ACCOUNT_SID,
      grants,
      sst: claims.iat,
    });
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(res.body.expiresAt).toBe(new Date((claims.exp as number) * 1000).toISOString());
  });

  test('when the flag is off (no fingerprint), then the token carries no fingerprint hash', async () => {
    const res = await sas.generate({ accountSid: ACCOUNT_SID, grants, encrypt: true });
    const claims = payloadOf(await decrypt(res.body.token, sas.material.encryption[0]!));
    expect(claims).not.toHaveProperty('fph');
  });

  test('when a fingerprint is given, then the token carries its SHA-256 and never the raw value', async () => {
    const fingerprint = 'fp-hmac-value-0123456789abcdef';
    const res = await sas.generate({ accountSid: ACCOUNT_SID, grants, fingerprint });
    expect(res.status).toBe(200);
    const jws = await decrypt(res.body.token, sas.material.encryption[0]!);
    expect(payloadOf(jws).fph).toBe(createHash('sha256').update(fingerprint).digest('base64url'));
    expect(jws).not.toContain(fingerprint);
    expect(Buffer.from(jws.split('.')[1]!, 'base64url').toString()).not.toContain(fingerprint);
  });

  test('when encrypt is false, then the token is the plain signed JWS', async () => {
    const res = await sas.generate({ accountSid: ACCOUNT_SID, grants, encrypt: false, ttl: 60 });
    expect(res.status).toBe(200);
    const parts = (res.body.token as string).split('.');
    expect(parts).toHaveLength(3);
    expect(unb64json(parts[0]!)).toEqual({ alg: 'ES256', typ: 'wct+jwt', kid: 'sig-1' });
    const claims = payloadOf(res.body.token);
    expect((claims.exp as number) - (claims.iat as number)).toBe(60);
  });

  test('when an identity and session start are given, then the token is re-issued for that guest and session', async () => {
    const identity = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
    const sessionStartedAt = nowSeconds() - 600;
    const res = await sas.generate({ accountSid: ACCOUNT_SID, grants, identity, sessionStartedAt, encrypt: false });
    expect(res.body.identity).toBe(identity);
    expect(payloadOf(res.body.token)).toMatchObject({ sub: identity, sst: sessionStartedAt });
  });

  test('when two tokens are minted, then each has its own identity and jti', async () => {
    const [a, b] = await Promise.all([sas.generate({ accountSid: ACCOUNT_SID, grants, encrypt: false }), sas.generate({ accountSid: ACCOUNT_SID, grants, encrypt: false })]);
    expect(a.body.identity).not.toBe(b.body.identity);
    expect(payloadOf(a.body.token).jti).not.toBe(payloadOf(b.body.token).jti);
  });

  test('when the session start is in the future, then 400 invalid_request and no token', async () => {
    const res = await sas.generate({ accountSid: ACCOUNT_SID, grants, sessionStartedAt: nowSeconds() + 3600 });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_request', errors: [{ field: 'sessionStartedAt' }] });
  });

  test('when tokens are minted and validated, then /metrics counts them by kind and result', async () => {
    const fresh = await startScopedAuth({ services });
    try {
      const bound = await fresh.generate({ accountSid: ACCOUNT_SID, grants, fingerprint: 'fp' });
      await fresh.generate({ accountSid: ACCOUNT_SID, grants, encrypt: false });
      await fresh.validate(bound.body.token, 'fp');
      await fresh.validate(bound.body.token, 'other');
      const metrics = (await request(`${fresh.url}/metrics`)).text;
      expect(metrics).toMatch(/tokens_minted_total\{encrypted="true",fingerprint_bound="true"[^}]*\} 1/);
      expect(metrics).toMatch(/tokens_minted_total\{encrypted="false",fingerprint_bound="false"[^}]*\} 1/);
      expect(metrics).toMatch(/token_validations_total\{result="valid"[^}]*\} 1/);
      expect(metrics).toMatch(/token_validations_total\{result="fingerprint_mismatch"[^}]*\} 1/);
      expect(metrics).toMatch(/http_requests_total\{method="POST",route="\/v1\/ScopedAuthTokens\/generate\/internal",status="200"/);
    } finally {
      await fresh.close();
    }
  });
});
