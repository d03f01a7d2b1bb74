import { ServiceIdentities } from '@webchat/test-harness';
import { ACCOUNT_SID, startScopedAuth, type ScopedAuthUnderTest } from '@webchat/test-harness';
import { OpenApiChecker } from '@webchat/testkit';
import { request, type HttpResult } from '@webchat/test-harness';

const GENERATE = '/v1/ScopedAuthTokens/generate/internal';
const VALIDATE = '/v1/ScopedAuthTokens/validate/internal';

describe('scoped-auth OpenAPI description', () => {
  const services = new ServiceIdentities();
  let sas: ScopedAuthUnderTest;
  let openapi: OpenApiChecker;
  const check = (path: string, res: HttpResult, method = 'post') => openapi.check({ method, path, status: res.status, contentType: res.contentType, body: res.body });

  beforeAll(async () => {
    sas = await startScopedAuth({ services });
    openapi = await OpenApiChecker.fetch(sas.url);
  });
  afterAll(() => sas.close());

  test('it documents exactly the operational and token routes, each token route behind a service token', () => {
    expect(Object.keys(openapi.document.paths).sort()).toEqual(['/healthz', '/readyz', GENERATE, VALIDATE].sort());
    expect(openapi.document.paths[GENERATE]!.post).toMatchObject({ security: [{ serviceToken: [] }] });
  });

  test('when tokens are minted and validated, then the real 200 responses match it', async () => {
    const minted = await sas.generate({ accountSid: ACCOUNT_SID, grants: { webchat: { role: 'guest' } }, fingerprint: 'fp' });
    check(GENERATE, minted);
    check(VALIDATE, await sas.validate(minted.body.token, 'fp'));
    check('/healthz', await request(`${sas.url}/healthz`), 'get');
    check('/readyz', await request(`${sas.url}/readyz`), 'get');
  });

  test('when requests are refused, then the real problem responses match it', async () => {
    const minted = await sas.generate({ accountSid: ACCOUNT_SID, grants: {}, fingerprint: 'fp' });
    check(VALIDATE, await sas.validate(minted.body.token, 'other'));
    check(VALIDATE, await sas.validate('not-a-token'));
    check(GENERATE, await sas.generate({ accountSid: 'AC1', grants: {} }));
    check(GENERATE, await request(`${sas.url}${GENERATE}`, { json: {} }));
    check(GENERATE, await request(`${sas.url}${GENERATE}`, { json: {}, token: services.token('orchestrator', 'scoped-auth') }));
    check(GENERATE, await request(`${sas.url}${GENERATE}`, { raw: 'x', contentType: 'text/plain', token: services.token('federated-auth', 'scoped-auth') }));
  });

  test('when a response does not match, then the checker says so', () => {
    expect(() => openapi.check({ method: 'post', path: GENERATE, status: 200, contentType: 'application/json', body: { token: '' } })).toThrow(/does not match/);
    expect(() => openapi.check({ method: 'post', path: GENERATE, status: 418, contentType: 'application/json', body: {} })).toThrow(/does not document status 418/);
  });
});
