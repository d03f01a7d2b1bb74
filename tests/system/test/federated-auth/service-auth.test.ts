import crypto from 'node:crypto';
import { federatedTokensPath } from '@webchat/contracts';
import { ServiceIdentities } from '@webchat/test-harness';
import { ACCOUNT_SID, nowSeconds, startScopedAuth, type ScopedAuthUnderTest } from '@webchat/test-harness';
import { request } from '@webchat/test-harness';
import { startFakeUpstream, startFederatedAuth, type FakeUpstream, type FederatedAuthUnderTest } from '@webchat/test-harness';

describe('federated-auth service-to-service auth', () => {
  const services = new ServiceIdentities();
  let sas: ScopedAuthUnderTest;
  let fas: FederatedAuthUnderTest;
  let url: string;

  beforeAll(async () => {
    sas = await startScopedAuth({ services });
    fas = await startFederatedAuth({ services, scopedAuthUrl: sas.url });
    url = `${fas.url}${federatedTokensPath(ACCOUNT_SID)}`;
  });
  afterAll(async () => {
    await fas.close();
    await sas.close();
  });

  const expectStatus = async (authorization: string | undefined, status: number, code: string) => {
    const res = await request(url, { json: {}, ...(authorization ? { headers: { authorization } } : {}) });
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
  };

  test('when the orchestrator calls with a valid token, then 200', async () => {
    const res = await request(url, { json: {}, token: services.token('orchestrator', 'federated-auth') });
    expect(res.status).toBe(200);
    expect(typeof res.body.token).toBe('string');
  });

  test('when there is no service token, then 401 service_token_invalid', async () => {
    await expectStatus(undefined, 401, 'service_token_invalid');
    await expectStatus('Bearer ', 401, 'service_token_invalid');
  });

  test('when the service token has expired, then 401', async () => {
    const stale = services.signer('orchestrator', { now: () => nowSeconds() - 3600 }).tokenFor('federated-auth');
    await expectStatus(`Bearer ${stale}`, 401, 'service_token_invalid');
  });

  test('when the service token is for another audience, then 401', async () => {
    await expectStatus(`Bearer ${services.token('orchestrator', 'scoped-auth')}`, 401, 'service_token_invalid');
  });

  test('when the signature is forged, then 401', async () => {
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await expectStatus(`Bearer ${services.signer('orchestrator', { privateKey }).tokenFor('federated-auth')}`, 401, 'service_token_invalid');
  });

  test.each(['scoped-auth', 'federated-auth'] as const)('when %s (a genuine service, not the orchestrator) calls, then 403 caller_not_allowed', async (caller) => {
    await expectStatus(`Bearer ${services.token(caller, 'federated-auth')}`, 403, 'caller_not_allowed');
  });

  test('when the caller is refused, then scoped-auth is never called', async () => {
    const upstream: FakeUpstream = await startFakeUpstream((_req, res) => res.end());
    const guarded = await startFederatedAuth({ services, scopedAuthUrl: upstream.url });
    try {
      for (const token of [undefined, services.token('scoped-auth', 'federated-auth')]) {
        // An empty `token` option sends no Authorization header at all.
        const res = await guarded.issue(ACCOUNT_SID, {}, { token: token ?? '' });
        expect([401, 403]).toContain(res.status);
      }
      expect(upstream.hits).toBe(0);
    } finally {
      await guarded.close();
      await upstream.close();
    }
  });
});
