import crypto from 'node:crypto';
import { SCOPED_AUTH_GENERATE_PATH, SCOPED_AUTH_VALIDATE_PATH, federatedTokensPath } from '@webchat/contracts';
import type { ServiceName } from '@webchat/service-auth';
import { call } from '@webchat/test-harness';
import type { RawRequest } from '@webchat/test-harness';
import { rawExchange, send } from './support/client';
import { recordFigures } from './support/figures';
import { b64json, sign } from '@webchat/test-harness';
import { expectNoLeaks } from './support/log-check';
import { mintedCount } from './support/services';
import { startStack, type Stack } from './support/stack';

const ANY_SID = `AC${'0123456789abcdef'.repeat(2)}`;

describe('internal endpoints', () => {
  let stack: Stack;
  let tried = 0;
  let passed = 0;

  beforeAll(async () => {
    stack = await startStack();
  });

  afterAll(async () => {
    recordFigures('internal', { casesTried: tried, casesPassed: passed });
    await stack?.stop();
  });

  const serviceLines = () => [...stack.system.logs.orchestrator(), ...stack.system.logs.federatedAuth(), ...stack.system.logs.scopedAuth()];
  const reachedAService = (requestId: string) => serviceLines().some((line) => line.includes(`"requestId":"${requestId}"`));
  const minted = () => mintedCount(stack.system.logs.scopedAuth());

  describe('through Starship they do not exist', () => {
    const body = JSON.stringify({ accountSid: ANY_SID, grants: { webchat: { role: 'admin' } }, ttl: 86_400 });
    const post = (path: string): RawRequest => ({ method: 'POST', path, body, headers: { 'content-type': 'application/json' } });
    const internalPaths = [SCOPED_AUTH_GENERATE_PATH, SCOPED_AUTH_VALIDATE_PATH, federatedTokensPath(ANY_SID)];

    test.each([
      ...internalPaths.map((path) => [`POST ${path}`, post(path)] as const),
      ['GET /metrics (the orchestrator\'s)', { path: '/metrics' }],
      ['GET /readyz (the orchestrator\'s)', { path: '/readyz' }],
      ['GET /openapi.json', { path: '/openapi.json' }],
      ['a dot-dot climb from a public route', post(`/v2/WebChannels/../../v1/ScopedAuthTokens/generate/internal`)],
      ['an encoded dot-dot climb', post(`/v2/WebChannels/%2e%2e/%2e%2e${SCOPED_AUTH_GENERATE_PATH}`)],
      ['an encoded slash climb', post(`/v2/WebChannels/..%2f..%2fv1/ScopedAuthTokens/generate/internal`)],
      ['a double slash', post(`/${SCOPED_AUTH_GENERATE_PATH}`)],
      ['another letter case', post(SCOPED_AUTH_GENERATE_PATH.toUpperCase())],
      ['a path parameter trick', post(`/v2/Webchat/Token;/../../v1/ScopedAuthTokens/generate/internal`)],
      ['an encoded path under a public prefix', post(`/v2/WebChannels%2f..%2f..%2fv1%2fScopedAuthTokens%2fgenerate%2finternal`)],
    ] as Array<readonly [string, RawRequest]>)('when %s is requested, then 404 or 400 from the edge and no service sees it', async (_name, request) => {
      tried += 1;
      const before = minted();
      const response = await send(stack.edge.port, request);
      expect([400, 404]).toContain(response.status);
      expect(response.json<{ code: string }>().code).toBe(response.status === 404 ? 'not_found' : 'invalid_request');
      expect(reachedAService(String(response.headers['x-request-id']))).toBe(false);
      expect(minted()).toBe(before);
      passed += 1;
    });

    test.each([
      ['an absolute-form request target naming scoped-auth', (target: string) => `POST http://${target}${SCOPED_AUTH_GENERATE_PATH} HTTP/1.1\r\nHost: ${target}\r\n`],
      ['a Host header naming scoped-auth', (target: string) => `POST ${SCOPED_AUTH_GENERATE_PATH} HTTP/1.1\r\nHost: ${target}\r\n`],
      ['a Host header naming scoped-auth on a public-looking path', (target: string) => `POST /v2/WebChannels/../..${SCOPED_AUTH_GENERATE_PATH} HTTP/1.1\r\nHost: ${target}\r\n`],
    ])('when %s is sent, then the edge still routes by its own table: 404, no service sees it', async (_name, head) => {
      tried += 1;
      const before = minted();
      const target = new URL(stack.system.scopedAuth.url).host;
      const raw = await rawExchange(stack.edge.port, `${head(target)}Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      expect([400, 404]).toContain(raw.status);
      const requestId = /x-request-id: ([^\r\n]+)/i.exec(raw.text)?.[1] ?? '';
      expect(requestId).not.toBe('');
      expect(reachedAService(requestId)).toBe(false);
      expect(minted()).toBe(before);
      passed += 1;
    });
  });

  describe('called directly (from inside the network), they refuse anyone but their listed caller', () => {
    const endpoints = () => {
      const { system } = stack;
      return [
        { name: 'scoped-auth generate', url: `${system.scopedAuth.url}${SCOPED_AUTH_GENERATE_PATH}`, audience: 'scoped-auth', allowed: 'federated-auth' as ServiceName, denied: 'orchestrator' as ServiceName, body: { accountSid: ANY_SID, grants: {} } },
        { name: 'scoped-auth validate', url: `${system.scopedAuth.url}${SCOPED_AUTH_VALIDATE_PATH}`, audience: 'scoped-auth', allowed: 'orchestrator' as ServiceName, denied: 'federated-auth' as ServiceName, body: { token: 'x.y.z' } },
        { name: 'federated-auth tokens', url: `${system.federatedAuthUrl}${federatedTokensPath(ANY_SID)}`, audience: 'federated-auth', allowed: 'orchestrator' as ServiceName, denied: 'scoped-auth' as ServiceName, body: {} },
      ];
    };

    /** Service tokens a caller without the right key, audience or name could present. */
    function badCredentials(audience: string, allowed: ServiceName, denied: ServiceName, guestToken: string): Array<[string, string | undefined, number, string]> {
      const { identities } = stack.system;
      const now = Math.floor(Date.now() / 1000);
      const intruder = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const claims = { iss: allowed, sub: allowed, aud: audience, jti: crypto.randomUUID(), iat: now, exp: now + 60 };
      return [
        ['no service token', undefined, 401, 'service_token_invalid'],
        ['a Basic credential', 'Basic b3JjaGVzdHJhdG9yOnNlY3JldA==', 401, 'service_token_invalid'],
        ['an expired service token', `Bearer ${identities.signer(allowed, { now: () => now - 3600 }).tokenFor(audience)}`, 401, 'service_token_invalid'],
        ['a service token for another audience', `Bearer ${identities.token(allowed, audience === 'scoped-auth' ? 'federated-auth' : 'scoped-auth')}`, 401, 'service_token_invalid'],
        ['a service token issued in the future', `Bearer ${identities.signer(allowed, { now: () => now + 3600 }).tokenFor(audience)}`, 401, 'service_token_invalid'],
        ['the allowed name signed with another key', `Bearer ${identities.signer(allowed, { privateKey: intruder }).tokenFor(audience)}`, 401, 'service_token_invalid'],
        ['an unsigned (alg none) service token', `Bearer ${b64json({ alg: 'none', typ: 'service+jwt', kid: allowed })}.${b64json(claims)}.`, 401, 'service_token_invalid'],
        ['a service token without typ', `Bearer ${sign(claims, identities.privateKeys[allowed], { kid: allowed, typ: undefined })}`, 401, 'service_token_invalid'],
        ['a guest token', `Bearer ${guestToken}`, 401, 'service_token_invalid'],
        ['a genuine service that is not a listed caller', `Bearer ${identities.token(denied, audience)}`, 403, 'caller_not_allowed'],
      ];
    }

    test('when the listed caller calls with its own token, then it is served (the refusals below are not vacuous)', async () => {
      for (const endpoint of endpoints()) {
        const reply = await call(endpoint.url, { json: endpoint.body, headers: { authorization: `Bearer ${stack.system.identities.token(endpoint.allowed, endpoint.audience)}` } });
        expect({ endpoint: endpoint.name, status: reply.status === 401 ? reply.body.code : reply.status }).toEqual({
          endpoint: endpoint.name,
          // validate answers for the (garbage) guest token, which proves the caller got through.
          status: endpoint.name === 'scoped-auth validate' ? 'token_invalid' : 200,
        });
        if (reply.body?.token) stack.watch.add('token', reply.body.token);
      }
    });

    test('when anyone else calls, then 401 service_token_invalid or 403 caller_not_allowed, and nothing is minted', async () => {
      const account = await stack.system.createAccount();
      const guestToken = (await stack.mint(account.deploymentKey)).token;
      const before = minted();
      for (const endpoint of endpoints()) {
        for (const [name, authorization, status, code] of badCredentials(endpoint.audience, endpoint.allowed, endpoint.denied, guestToken)) {
          tried += 1;
          if (authorization) stack.watch.add('service token', authorization.replace(/^Bearer /, ''));
          const reply = await call(endpoint.url, { json: endpoint.body, headers: authorization ? { authorization } : {} });
          expect({ endpoint: endpoint.name, name, status: reply.status, code: reply.body.code, type: reply.headers.get('content-type')?.split(';')[0] }).toEqual({
            endpoint: endpoint.name,
            name,
            status,
            code,
            type: 'application/problem+json',
          });
          passed += 1;
        }
      }
      expect(minted()).toBe(before);
    });
  });

  test('after everything above, no log line of any service or of nginx holds a secret', () => {
    expectNoLeaks(stack);
  });
});
