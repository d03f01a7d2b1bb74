import { getFreePort } from '@webchat/testkit';
import { ServiceIdentities } from '@webchat/test-harness';
import { ACCOUNT_SID, startScopedAuth, type ScopedAuthUnderTest } from '@webchat/test-harness';
import { OpenApiChecker } from '@webchat/testkit';
import type { HttpResult } from '@webchat/test-harness';
import { startFakeUpstream, startFederatedAuth, type FakeUpstream, type FederatedAuthUnderTest } from '@webchat/test-harness';

const TOKENS = '/v1/Accounts/{accountSid}/Tokens';

describe('federated-auth OpenAPI description', () => {
  const services = new ServiceIdentities();
  const closers: Array<() => Promise<void>> = [];
  let sas: ScopedAuthUnderTest;
  let fas: FederatedAuthUnderTest;
  let openapi: OpenApiChecker;
  const check = (res: HttpResult) => openapi.check({ method: 'post', path: TOKENS, status: res.status, contentType: res.contentType, body: res.body });
  const federatedIn = async (url: string, timeoutMs = 2000) => {
    const instance = await startFederatedAuth({ services, scopedAuthUrl: url, timeoutMs });
    closers.push(() => instance.close());
    return instance;
  };

  beforeAll(async () => {
    sas = await startScopedAuth({ services });
    closers.push(() => sas.close());
    fas = await federatedIn(sas.url);
    openapi = await OpenApiChecker.fetch(fas.url);
  });
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  test('it documents the token route with its path parameter and service-token security', () => {
    expect(Object.keys(openapi.document.paths).sort()).toEqual(['/healthz', '/readyz', TOKENS].sort());
    expect(openapi.document.paths[TOKENS]!.post).toMatchObject({ security: [{ serviceToken: [] }], parameters: [{ name: 'accountSid', in: 'path', required: true }] });
  });

  test('when a token is issued, then the real 200 matches it', async () => {
    const res = await fas.issue(ACCOUNT_SID, { fingerprint: 'fp' });
    expect(res.status).toBe(200);
    check(res);
  });

  test('when requests are refused (400, 401, 403, 413, 415), then the real problems match it', async () => {
    check(await fas.issue('AC1', {}));
    check(await fas.issue(ACCOUNT_SID, {}, { token: '' }));
    check(await fas.issue(ACCOUNT_SID, {}, { token: services.token('scoped-auth', 'federated-auth') }));
    check(await fas.issue(ACCOUNT_SID, undefined, { json: { fingerprint: 'x'.repeat(40_000) } }));
    check(await fas.issue(ACCOUNT_SID, undefined, { raw: 'x', contentType: 'text/plain' }));
  });

  test('when scoped-auth fails (502, 503, 504), then the real problems match it', async () => {
    const failing: FakeUpstream = await startFakeUpstream((_req, res) => res.writeHead(500).end());
    const slow: FakeUpstream = await startFakeUpstream(() => undefined);
    closers.push(() => failing.close(), () => slow.close());
    const results = [
      await (await federatedIn(failing.url)).issue(ACCOUNT_SID, {}),
      await (await federatedIn(`http://127.0.0.1:${await getFreePort()}`)).issue(ACCOUNT_SID, {}),
      await (await federatedIn(slow.url, 200)).issue(ACCOUNT_SID, {}),
    ];
    expect(results.map((r) => r.status)).toEqual([502, 503, 504]);
    for (const res of results) check(res);
  });
});
