import { WEBCHAT_REFRESH_PATH, WEBCHAT_TOKEN_PATH, WebchatTokenResponse } from '@webchat/contracts';
import { browserHeaders, startSystem, type SystemUnderTest } from '@webchat/test-harness';
import { call } from '@webchat/test-harness';

let system: SystemUnderTest;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(async () => {
  await system.stop();
});
afterEach(() => system.setSecurityFlag(false));

const tokenUrl = () => `${system.orchestratorUrl}${WEBCHAT_TOKEN_PATH}`;
const refreshUrl = () => `${system.orchestratorUrl}${WEBCHAT_REFRESH_PATH}`;
const mint = (deploymentKey: string, headers: Record<string, string> = browserHeaders(), extra: Record<string, unknown> = {}) =>
  call(tokenUrl(), { json: { deploymentKey, ...extra }, headers });
const refresh = (deploymentKey: string, token: string, headers: Record<string, string> = browserHeaders()) =>
  call(refreshUrl(), { json: { deploymentKey, token }, headers });

describe('POST /v2/Webchat/Token, the diagram branches', () => {
  test('when the security flag is off, then the token is unbound: it validates with no fingerprint', async () => {
    const { deploymentKey, accountSid } = await system.createAccount();
    const reply = await mint(deploymentKey);
    expect(reply.status).toBe(200);
    expect(WebchatTokenResponse.safeParse(reply.body).success).toBe(true);
    expect(reply.headers.get('cache-control')).toBe('no-store');
    const validated = await system.scopedAuth.validate(reply.body.token);
    expect(validated.status).toBe(200);
    expect(validated.body).toMatchObject({ accountSid, identity: reply.body.identity, fingerprintBound: false });
    // and a refresh from a different browser still works, because nothing is bound
    expect((await refresh(deploymentKey, reply.body.token, browserHeaders({ 'user-agent': 'curl/8' }))).status).toBe(200);
  });

  test.each(['low', 'medium', 'high'] as const)(
    'when the flag is on (sensitivity %s), then the token is bound: the same client refreshes, a changed User-Agent is refused',
    async (fingerprintSensitivity) => {
      system.setSecurityFlag(true);
      const { deploymentKey } = await system.createAccount({ fingerprintSensitivity });
      const minted = await mint(deploymentKey);
      expect(minted.status).toBe(200);
      const bound = await system.scopedAuth.validate(minted.body.token);
      expect(bound.body.code).toBe('fingerprint_required');

      const same = await refresh(deploymentKey, minted.body.token);
      expect(same.status).toBe(200);
      expect(same.body.identity).toBe(minted.body.identity);

      const stolen = await refresh(deploymentKey, minted.body.token, browserHeaders({ 'user-agent': 'Mozilla/5.0 (Macintosh) Safari/605.1' }));
      expect(stolen.status).toBe(401);
      expect(stolen.body.code).toBe('fingerprint_mismatch');
    },
  );

  test('when the flag is on but the account sensitivity is off, then the token is unbound', async () => {
    system.setSecurityFlag(true);
    const { deploymentKey } = await system.createAccount({ fingerprintSensitivity: 'off' });
    const minted = await mint(deploymentKey);
    expect(minted.status).toBe(200);
    expect((await system.scopedAuth.validate(minted.body.token)).body.fingerprintBound).toBe(false);
  });

  test('when the flag is on and a required signal is missing, then 400 fingerprint_signals_missing and no token is minted', async () => {
    system.setSecurityFlag(true);
    const { deploymentKey } = await system.createAccount({ fingerprintSensitivity: 'high' });
    const before = await system.federatedTokenCalls();
    const headers = browserHeaders();
    delete headers['x-webchat-sec-decoders'];
    const reply = await mint(deploymentKey, headers);
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('fingerprint_signals_missing');
    expect(reply.body.detail).toContain('x-webchat-sec-decoders');
    expect(await system.federatedTokenCalls()).toBe(before);
  });

  test('high sensitivity pins the client IP, read from the one trusted proxy hop, not from a spoofed chain', async () => {
    system.setSecurityFlag(true);
    const { deploymentKey } = await system.createAccount({ fingerprintSensitivity: 'high' });
    const viaEdge = (ip: string, spoofed?: string) => browserHeaders({ 'x-forwarded-for': spoofed ? `${spoofed}, ${ip}` : ip });
    const minted = await mint(deploymentKey, viaEdge('203.0.113.7'));
    expect((await refresh(deploymentKey, minted.body.token, viaEdge('203.0.113.7', '198.51.100.1'))).status).toBe(200);
    const elsewhere = await refresh(deploymentKey, minted.body.token, viaEdge('198.51.100.1'));
    expect(elsewhere.body.code).toBe('fingerprint_mismatch');
  });
});

describe('POST /v2/Webchat/Token, CORS', () => {
  const origins = ['https://shop.example.com', 'https://*.brand.example', 'http://localhost:3000'];

  test('when allowed origins are empty, then ACAO is *', async () => {
    const { deploymentKey } = await system.createAccount({ allowedOrigins: [] });
    const reply = await mint(deploymentKey, { ...browserHeaders(), origin: 'https://anywhere.example' });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('access-control-allow-origin')).toBe('*');
  });

  test.each(['https://shop.example.com', 'https://chat.brand.example', 'https://a.b.brand.example', 'http://localhost:3000'])(
    'when the origin %s is allowed, then it is reflected with Vary: Origin',
    async (origin) => {
      const { deploymentKey } = await system.createAccount({ allowedOrigins: origins });
      const reply = await mint(deploymentKey, { ...browserHeaders(), origin });
      expect(reply.status).toBe(200);
      expect(reply.headers.get('access-control-allow-origin')).toBe(origin);
      expect(reply.headers.get('vary')).toMatch(/Origin/);
    },
  );

  test.each([
    ['a look-alike suffix', 'https://shop.example.com.evil.com'],
    ['http instead of https', 'http://shop.example.com'],
    ['another port', 'https://shop.example.com:8443'],
    ['the wildcard apex', 'https://brand.example'],
    ['the null origin', 'null'],
  ])('when the origin is %s, then 403 origin_not_allowed, the list as ACAO, and no token is minted', async (_case, origin) => {
    const { deploymentKey } = await system.createAccount({ allowedOrigins: origins });
    const before = await system.federatedTokenCalls();
    const reply = await mint(deploymentKey, { ...browserHeaders(), ...(origin ? { origin } : {}) });
    expect(reply.status).toBe(403);
    expect(reply.body.code).toBe('origin_not_allowed');
    expect(reply.body.token).toBeUndefined();
    expect(reply.headers.get('access-control-allow-origin')).toBe(origins.join(','));
    expect(reply.headers.get('cache-control')).toBe('no-store');
    expect(await system.federatedTokenCalls()).toBe(before);
  });

  test('a preflight is answered 204, reflecting the origin and allowing POST and the security headers', async () => {
    const reply = await call(tokenUrl(), {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(reply.status).toBe(204);
    expect(reply.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    expect(reply.headers.get('access-control-allow-methods')).toContain('POST');
    expect(reply.headers.get('access-control-allow-headers')).toContain('x-webchat-sec-usersettings');
    expect(Number(reply.headers.get('access-control-max-age'))).toBeGreaterThan(0);
  });
});

describe('POST /v2/Webchat/Token, deployment keys and the store', () => {
  const withoutRequestId = (text: string) => text.replace(/"requestId":"[^"]+"/, '');

  test('unknown, revoked and suspended give byte-identical answers apart from the request id', async () => {
    const revoked = await system.createAccount();
    await system.accounts.revokeDeploymentKey(revoked.keyId);
    const suspended = await system.createAccount();
    await system.accounts.setAccountStatus(suspended.accountSid, 'suspended');
    const replies = await Promise.all([mint('dk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), mint(revoked.deploymentKey), mint(suspended.deploymentKey)]);
    for (const reply of replies) {
      expect(reply.status).toBe(403);
      expect(reply.body.code).toBe('deployment_key_invalid');
    }
    expect(new Set(replies.map((r) => withoutRequestId(r.text))).size).toBe(1);
  });

  test('the account configuration is read in one store query per token request', async () => {
    const { deploymentKey } = await system.createAccount({ allowedOrigins: ['https://shop.example.com'] });
    // Earlier tests' refused origins are written by a once-a-second background flush on the same pool: write them now.
    await system.refusals.flush();
    const before = system.db.stats.queries;
    expect((await mint(deploymentKey, { ...browserHeaders(), origin: 'https://shop.example.com' })).status).toBe(200);
    expect(system.db.stats.queries - before).toBe(1);
  });

  test('a form post with the legacy DeploymentKey spelling works like JSON', async () => {
    const { deploymentKey } = await system.createAccount();
    const reply = await call(tokenUrl(), { form: { DeploymentKey: deploymentKey, customerFriendlyName: 'Ada' }, headers: browserHeaders() });
    expect(reply.status).toBe(200);
    expect(reply.body.token).toEqual(expect.any(String));
  });

  test('when a visitor asks for an identity without proof, then 400 identity_proof_required and nothing is minted', async () => {
    const { deploymentKey } = await system.createAccount();
    const first = await mint(deploymentKey);
    const calls = await system.federatedTokenCalls();
    const again = await mint(deploymentKey, browserHeaders(), { identity: first.body.identity });
    expect({ status: again.status, code: again.body.code }).toEqual({ status: 400, code: 'identity_proof_required' });
    expect(await system.federatedTokenCalls()).toBe(calls);
  });

  test('when a returning visitor sends its previous token, then it keeps its identity', async () => {
    const { deploymentKey } = await system.createAccount();
    const first = await mint(deploymentKey);
    const again = await mint(deploymentKey, browserHeaders(), { previousToken: first.body.token });
    expect(again.status).toBe(200);
    expect(again.body.identity).toBe(first.body.identity);
  });
});

describe('POST /v2/Webchat/Token, bad input', () => {
  test.each([
    ['text/plain', 415, 'unsupported_media_type', { raw: 'deploymentKey=x', contentType: 'text/plain' }],
    ['malformed JSON', 400, 'malformed_json', { raw: '{"deploymentKey":', contentType: 'application/json' }],
    ['a missing key', 400, 'invalid_request', { json: {} }],
    ['an unknown field', 400, 'invalid_request', { json: { deploymentKey: 'dk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', admin: true } }],
    ['a key of the wrong type', 400, 'invalid_request', { json: { deploymentKey: 42 } }],
    ['an oversized body', 413, 'payload_too_large', { json: { deploymentKey: 'dk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', preEngagementData: { q: 'x'.repeat(40_000) } } }],
    ['pre-engagement data over 16 KB', 400, 'invalid_request', { json: { deploymentKey: 'dk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', preEngagementData: { q: 'x'.repeat(17_000) } } }],
  ])('%s gets %i %s as problem+json with ACAO', async (_case, status, code, init) => {
    const reply = await call(tokenUrl(), { ...init, headers: { origin: 'https://shop.example.com' } });
    expect(reply.status).toBe(status);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
    expect(reply.body).toMatchObject({ status, code, requestId: expect.any(String) });
    expect(reply.headers.get('access-control-allow-origin')).toBeTruthy();
  });

  test('a bad field is named in the per-field errors', async () => {
    const reply = await mint('short');
    expect(reply.status).toBe(400);
    expect(reply.body.errors).toEqual([expect.objectContaining({ field: 'deploymentKey' })]);
  });
});

describe('POST /v2/Webchat/Tokens/Refresh', () => {
  test('gives a new token for the same identity', async () => {
    const { deploymentKey } = await system.createAccount();
    const minted = await mint(deploymentKey);
    const refreshed = await refresh(deploymentKey, minted.body.token);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.identity).toBe(minted.body.identity);
    expect(refreshed.body.token).not.toBe(minted.body.token);
  });

  test("when the deployment key belongs to another account, then 403 and no token", async () => {
    const a = await system.createAccount();
    const b = await system.createAccount();
    const minted = await mint(a.deploymentKey);
    const reply = await refresh(b.deploymentKey, minted.body.token);
    expect(reply.status).toBe(403);
    expect(reply.body.code).toBe('account_mismatch');
  });

  test('a tampered token is refused with token_invalid', async () => {
    const { deploymentKey } = await system.createAccount();
    const minted = await mint(deploymentKey);
    const parts = minted.body.token.split('.');
    parts[3] = parts[3].slice(0, -2) + (parts[3].endsWith('AA') ? 'BB' : 'AA');
    const reply = await refresh(deploymentKey, parts.join('.'));
    expect(reply.status).toBe(401);
    expect(reply.body.code).toBe('token_invalid');
  });
});

describe('request ids and logs', () => {
  test('the request id sent is returned and is on the request log line of every service the request crossed', async () => {
    const { deploymentKey } = await system.createAccount();
    const requestId = `test-${Date.now()}-rid`;
    const reply = await mint(deploymentKey, { ...browserHeaders(), 'x-request-id': requestId });
    expect(reply.headers.get('x-request-id')).toBe(requestId);
    for (const lines of [system.logs.orchestrator(), system.logs.federatedAuth(), system.logs.scopedAuth()]) {
      const mine = lines.map((line) => JSON.parse(line)).filter((entry) => entry.requestId === requestId);
      expect(mine.some((entry) => entry.message === 'request' && entry.status === 200)).toBe(true);
    }
  });

  test('no log line of any service holds a token, a deployment key or a service JWT', async () => {
    system.setSecurityFlag(true);
    const { deploymentKey } = await system.createAccount();
    const minted = await mint(deploymentKey);
    const refreshed = await refresh(deploymentKey, minted.body.token);
    await refresh(deploymentKey, 'eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..bad.token.here');
    expect(refreshed.status).toBe(200);
    const all = [...system.logs.orchestrator(), ...system.logs.federatedAuth(), ...system.logs.scopedAuth()].join('\n');
    expect(all.length).toBeGreaterThan(0);
    for (const secret of [minted.body.token, refreshed.body.token, deploymentKey]) expect(all).not.toContain(secret);
    // service JWTs and guest tokens both start with a base64url JSON header
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*\./);
    // raw fingerprint signals never reach a log
    expect(all).not.toContain('Chrome/156.0');
  });
});
