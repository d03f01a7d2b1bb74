import { federatedTokensPath } from '@webchat/contracts';
import { ServiceIdentities } from '@webchat/test-harness';
import { ACCOUNT_SID, ADDRESS_SID, captureLogs, nowSeconds, startScopedAuth, type ScopedAuthUnderTest } from '@webchat/test-harness';
import { decrypt, payloadOf, unb64json } from '@webchat/test-harness';
import { request } from '@webchat/test-harness';
import { startFederatedAuth, type FederatedAuthUnderTest } from '@webchat/test-harness';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const FINGERPRINT = 'hmac-of-this-browser-signals';

describe('federated-auth tokens, with a real scoped-auth behind it', () => {
  const services = new ServiceIdentities();
  const scopedLogs = captureLogs('scoped-auth');
  let sas: ScopedAuthUnderTest;
  let fas: FederatedAuthUnderTest;

  beforeAll(async () => {
    sas = await startScopedAuth({ services, logger: scopedLogs.logger });
    fas = await startFederatedAuth({ services, scopedAuthUrl: sas.url, defaultTokenTtlSeconds: 900 });
  });
  afterAll(async () => {
    await fas.close();
    await sas.close();
  });

  describe('when the flag is off (no fingerprint)', () => {
    test('then the token is an encrypted, unbound guest token for the account', async () => {
      const before = nowSeconds();
      const res = await fas.issue(ACCOUNT_SID, {});
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(Object.keys(res.body).sort()).toEqual(['expiresAt', 'identity', 'token']);
      expect(res.body.identity).toMatch(UUID);
      expect(res.body.token.split('.')).toHaveLength(5);
      expect(unb64json(res.body.token.split('.')[0])).toMatchObject({ alg: 'dir', enc: 'A256GCM' });
      // the configured default ttl (900 s) applies
      const expiresIn = Date.parse(res.body.expiresAt) / 1000 - before;
      expect(expiresIn).toBeGreaterThanOrEqual(899);
      expect(expiresIn).toBeLessThanOrEqual(902);

      const validated = await sas.validate(res.body.token);
      expect(validated.status).toBe(200);
      expect(validated.body).toMatchObject({
        accountSid: ACCOUNT_SID,
        identity: res.body.identity,
        grants: { webchat: { role: 'guest', accountSid: ACCOUNT_SID } },
        fingerprintBound: false,
      });
      expect(payloadOf(await decrypt(res.body.token, sas.material.encryption[0]!))).not.toHaveProperty('fph');
    });

    test('then a call without any body is accepted', async () => {
      const res = await fas.issue(ACCOUNT_SID);
      expect(res.status).toBe(200);
    });
  });

  describe('when the flag is on (a fingerprint is passed through)', () => {
    let token: string;
    beforeAll(async () => {
      const res = await fas.issue(ACCOUNT_SID, { fingerprint: FINGERPRINT, addressSid: ADDRESS_SID });
      expect(res.status).toBe(200);
      token = res.body.token;
    });

    test('then the token validates with the same fingerprint and carries the address', async () => {
      const res = await sas.validate(token, FINGERPRINT);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ fingerprintBound: true, grants: { webchat: { role: 'guest', accountSid: ACCOUNT_SID, addressSid: ADDRESS_SID } } });
    });

    test('then another fingerprint is refused with fingerprint_mismatch', async () => {
      const res = await sas.validate(token, 'hmac-of-another-browser');
      expect([res.status, res.body.code]).toEqual([401, 'fingerprint_mismatch']);
    });

    test('then no fingerprint is refused with fingerprint_required', async () => {
      const res = await sas.validate(token);
      expect([res.status, res.body.code]).toEqual([401, 'fingerprint_required']);
    });
  });

  test('when identity, ttl and session start are given (a refresh), then they reach the token', async () => {
    const identity = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
    const sessionStartedAt = nowSeconds() - 1200;
    const res = await fas.issue(ACCOUNT_SID, { identity, ttl: 120, sessionStartedAt });
    expect(res.status).toBe(200);
    expect(res.body.identity).toBe(identity);
    const validated = await sas.validate(res.body.token);
    expect(validated.body).toMatchObject({ identity, sessionStartedAt });
    const claims = payloadOf(await decrypt(res.body.token, sas.material.encryption[0]!));
    expect((claims.exp as number) - (claims.iat as number)).toBe(120);
  });

  test('when the session start is in the future, then 400 before scoped-auth is called', async () => {
    const minted = () => scopedLogs.lines().filter((l) => l.includes('"token minted"')).length;
    const before = minted();
    const res = await fas.issue(ACCOUNT_SID, { sessionStartedAt: nowSeconds() + 3600 });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_request', errors: [{ field: 'sessionStartedAt' }] });
    expect(minted()).toBe(before);
  });

  test('when the orchestrator sends a request id, then scoped-auth logs the same id', async () => {
    const requestId = `req-${Date.now()}-propagation`;
    const res = await fas.issue(ACCOUNT_SID, {}, { headers: { 'x-request-id': requestId } });
    expect(res.headers.get('x-request-id')).toBe(requestId);
    const minted = scopedLogs.lines().map((l) => JSON.parse(l)).filter((l) => l.message === 'token minted' && l.requestId === requestId);
    expect(minted).toHaveLength(1);
    expect(minted[0]).toMatchObject({ caller: 'federated-auth', accountSid: ACCOUNT_SID, encrypted: true });
  });

  test('when tokens are issued, then /metrics counts them', async () => {
    const metrics = (await request(`${fas.url}/metrics`)).text;
    expect(metrics).toMatch(/federated_tokens_total\{result="issued",fingerprint_bound="true"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/federated_tokens_total\{result="issued",fingerprint_bound="false"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/federated_tokens_total\{result="invalid_request",fingerprint_bound="false"[^}]*\} 1/);
    expect(metrics).toContain(`route="/v1/Accounts/:accountSid/Tokens"`);
    expect(metrics).not.toContain(federatedTokensPath(ACCOUNT_SID));
  });
});
