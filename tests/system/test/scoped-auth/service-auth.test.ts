import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { SCOPED_AUTH_GENERATE_PATH, SCOPED_AUTH_VALIDATE_PATH } from '@webchat/contracts';
import { ServiceIdentities } from '@webchat/test-harness';
import { ACCOUNT_SID, nowSeconds, startScopedAuth, type ScopedAuthUnderTest } from '@webchat/test-harness';
import { post, request } from '@webchat/test-harness';

const grants = { webchat: { role: 'guest', accountSid: ACCOUNT_SID } };

describe('scoped-auth service-to-service auth', () => {
  const services = new ServiceIdentities();
  let sas: ScopedAuthUnderTest;
  let validToken: string;

  beforeAll(async () => {
    sas = await startScopedAuth({ services });
    validToken = (await sas.generate({ accountSid: ACCOUNT_SID, grants })).body.token;
  });
  afterAll(() => sas.close());

  const endpoints = [
    { name: 'generate', path: SCOPED_AUTH_GENERATE_PATH, allowed: 'federated-auth' as const, denied: ['orchestrator', 'scoped-auth'] as const, body: () => ({ accountSid: ACCOUNT_SID, grants }) },
    { name: 'validate', path: SCOPED_AUTH_VALIDATE_PATH, allowed: 'orchestrator' as const, denied: ['federated-auth', 'scoped-auth'] as const, body: () => ({ token: validToken }) },
  ];

  describe.each(endpoints)('$name', ({ path, allowed, denied, body }) => {
    const call = (authorization?: string) => request(`${sas.url}${path}`, { json: body(), ...(authorization ? { headers: { authorization } } : {}) });
    const expectStatus = async (authorization: string | undefined, status: number, code: string) => {
      const res = await call(authorization);
      expect({ status: res.status, code: res.body.code, type: res.contentType.split(';')[0] }).toEqual({ status, code, type: 'application/problem+json' });
    };

    test(`when ${allowed} calls with a valid token, then 200`, async () => {
      expect((await call(`Bearer ${services.token(allowed, 'scoped-auth')}`)).status).toBe(200);
    });

    test('when there is no service token, then 401 service_token_invalid', async () => {
      await expectStatus(undefined, 401, 'service_token_invalid');
      await expectStatus('Basic Zm9vOmJhcg==', 401, 'service_token_invalid');
      await expectStatus('Bearer not-a-jwt', 401, 'service_token_invalid');
    });

    test('when the service token has expired, then 401', async () => {
      const stale = services.signer(allowed, { now: () => nowSeconds() - 3600 }).tokenFor('scoped-auth');
      await expectStatus(`Bearer ${stale}`, 401, 'service_token_invalid');
    });

    test('when the service token is for another audience, then 401', async () => {
      await expectStatus(`Bearer ${services.token(allowed, 'federated-auth')}`, 401, 'service_token_invalid');
    });

    test('when the signature is forged (the right name, another key), then 401', async () => {
      const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const forged = services.signer(allowed, { privateKey }).tokenFor('scoped-auth');
      await expectStatus(`Bearer ${forged}`, 401, 'service_token_invalid');
    });

    test('when an unknown service signs, or the token is an unsigned alg none, then 401', async () => {
      const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const now = nowSeconds();
      const claims = { iss: 'intruder', sub: 'intruder', aud: 'scoped-auth', jti: crypto.randomUUID(), iat: now, exp: now + 60 };
      const unknown = jwt.sign(claims, privateKey, { algorithm: 'ES256', header: { alg: 'ES256', typ: 'service+jwt', kid: 'intruder' } });
      await expectStatus(`Bearer ${unknown}`, 401, 'service_token_invalid');
      const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'service+jwt', kid: allowed })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, iss: allowed })).toString('base64url')}.`;
      await expectStatus(`Bearer ${none}`, 401, 'service_token_invalid');
    });

    test.each([...denied])('when %s (a genuine service, not an allowed caller) calls, then 403 caller_not_allowed', async (caller) => {
      await expectStatus(`Bearer ${services.token(caller, 'scoped-auth')}`, 403, 'caller_not_allowed');
    });
  });

  test('when calls are refused, then no token is minted', async () => {
    const fresh = await startScopedAuth({ services });
    try {
      const url = `${fresh.url}${SCOPED_AUTH_GENERATE_PATH}`;
      await post(url, { accountSid: ACCOUNT_SID, grants });
      await post(url, { accountSid: ACCOUNT_SID, grants }, services.token('orchestrator', 'scoped-auth'));
      const metrics = (await request(`${fresh.url}/metrics`)).text;
      expect(metrics).not.toMatch(/^tokens_minted_total\{/m);
      expect(metrics).toMatch(/http_requests_total\{method="POST",route="\/v1\/ScopedAuthTokens\/generate\/internal",status="403"/);
    } finally {
      await fresh.close();
    }
  });
});
