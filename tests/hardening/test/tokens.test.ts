import crypto from 'node:crypto';
import type { ErrorCode } from '@webchat/contracts';
import { browserHeaders } from '@webchat/test-harness';
import { encryptionKey, signingKey } from '@webchat/test-harness';
import type { RawRequest } from '@webchat/test-harness';
import { send, type RawResponse } from './support/client';
import { recordFigures } from './support/figures';
import { expectNoLeaks } from './support/log-check';
import { expectProblem } from './support/problems';
import { hostScopedAuth, mintedCount, type HostedScopedAuth } from './support/services';
import { CHANNELS, REFRESH, guestHeaders, noteTokens, startStack, type Stack } from './support/stack';
import { forgedTokens, type Forgery } from './support/forgeries';

const SESSION_MAX_AGE_SECONDS = 86_400;

describe('token attacks through Starship, on refresh and on every WebChannels route: all refused with the right code, nothing minted or written', () => {
  let stack: Stack;
  let scoped: HostedScopedAuth;
  let account: { accountSid: string; deploymentKey: string; keyId: string };
  let other: { accountSid: string; deploymentKey: string };
  let conversationSid: string;
  let identity: string;
  let clockOffset = 0;
  let tried = 0;
  let passed = 0;

  beforeAll(async () => {
    // Above the attacks one token meets here: killing a token after repeated mismatches is token-guards' and identity-proof's subject.
    stack = await startStack({ sessionMaxAgeSeconds: SESSION_MAX_AGE_SECONDS, tokenFailureLimit: 100, now: () => Math.floor(Date.now() / 1000) + clockOffset });
    scoped = await hostScopedAuth(stack.system);
    stack.extraLogs.set('scoped-auth (restarted)', scoped.logs);
    account = await stack.system.createAccount();
    other = await stack.system.createAccount();
    const first = await stack.mint(account.deploymentKey);
    identity = first.identity;
    conversationSid = await stack.createChannel(first.token);
  });

  afterEach(() => {
    clockOffset = 0;
    stack.system.setSecurityFlag(false);
  });

  afterAll(async () => {
    recordFigures('tokens', { casesTried: tried, casesPassed: passed });
    await scoped?.host.stop();
    await stack?.stop();
  });

  const allLogs = () => [...stack.system.logs.scopedAuth(), ...scoped.logs()];
  const minted = () => mintedCount(allLogs());

  /** The reason scoped-auth logged for refusing this request (never sent to the client). */
  const refusalReason = (requestId: string): string | undefined =>
    allLogs()
      .map((line) => JSON.parse(line) as { message?: string; reason?: string; requestId?: string })
      .find((entry) => entry.message === 'token refused' && entry.requestId === requestId)?.reason;

  /** Where a stolen or forged token can be presented: refresh, and each WebChannels route. */
  const uses = (token: string, headers: Record<string, string> = browserHeaders()): Array<[string, RawRequest]> => {
    const json = { 'content-type': 'application/json' };
    const guest = { ...headers, authorization: `Bearer ${token}` };
    return [
      ['refresh', { method: 'POST', path: REFRESH, body: JSON.stringify({ deploymentKey: account.deploymentKey, token }), headers: { ...headers, ...json } }],
      ['create', { method: 'POST', path: CHANNELS, body: '{}', headers: { ...guest, ...json } }],
      ['get', { path: `${CHANNELS}/${conversationSid}`, headers: guest }],
      ['list messages', { path: `${CHANNELS}/${conversationSid}/Messages`, headers: guest }],
      ['post message', { method: 'POST', path: `${CHANNELS}/${conversationSid}/Messages`, body: JSON.stringify({ body: 'let me in' }), headers: { ...guest, ...json } }],
    ];
  };

  /** Presents `token` on every route; each must refuse it with `code` (and, when given, for `reason`), minting and writing nothing. */
  async function expectRefusedEverywhere(token: string, code: ErrorCode, reason?: RegExp, headers?: Record<string, string>): Promise<void> {
    stack.watch.add('token', token);
    const rows = await stack.rowCounts();
    const mintedBefore = minted();
    for (const [route, request] of uses(token, headers)) {
      tried += 1;
      const response: RawResponse = await send(stack.edge.port, request);
      noteTokens(stack.watch, response.text);
      expect({ route, status: response.status, body: response.text.slice(0, 200) }).toEqual({ route, status: 401, body: expect.any(String) });
      const problem = expectProblem(response, 401, code);
      expect(problem.detail).not.toMatch(/kid|alg|enc|decrypt|signature|jku|x5u|jwk|aud|iss|typ|nbf/i);
      if (reason) expect({ route, reason: refusalReason(problem.requestId) }).toEqual({ route, reason: expect.stringMatching(reason) });
      passed += 1;
    }
    expect(minted()).toBe(mintedBefore);
    expect(await stack.rowCounts()).toEqual(rows);
  }

  test('sanity: a token forged with the real keys and good claims is accepted everywhere (so each refusal below is for its one defect)', async () => {
    const [valid] = await forgedTokens(stack.system.scopedAuth.material, account.accountSid, ['a good token'], { identity, deploymentKeyId: account.keyId });
    for (const [route, request] of uses(valid!.token)) {
      const response = await send(stack.edge.port, request);
      noteTokens(stack.watch, response.text);
      expect({ route, status: response.status }).toEqual({ route, status: route === 'create' || route === 'post message' ? 201 : 200 });
    }
  });

  describe('forged, broken and foreign tokens', () => {
    let forgeries: Forgery[];
    beforeAll(async () => {
      const genuine = (await stack.mint(account.deploymentKey)).token;
      forgeries = await forgedTokens(stack.system.scopedAuth.material, account.accountSid, undefined, {
        genuine,
        identity,
        serviceToken: stack.system.identities.token('orchestrator', 'scoped-auth'),
      });
    });

    test('the forgery table covers the attacks the issue names', () => {
      expect(forgeries.length).toBeGreaterThanOrEqual(20);
    });

    test.each([
      'a flipped character in the ciphertext', 'a flipped character in the authentication tag', 'a re-encoded protected header',
      'four segments (truncated)', 'cut in half', 'the IV and ciphertext swapped', 'the segments reversed',
      'alg none inside a good JWE', 'alg none, plain', 'HS256 keyed with the public key', 'an unknown signing kid',
      'an unknown encryption kid', 'a jku header on the JWS', 'an x5u header on the JWS', 'an embedded jwk with its own key',
      'a jku header on the JWE', 'an x5u header on the JWE', 'expired', 'nbf in the future', 'another audience', 'another issuer',
      'typ JWT', 'a service token', 'another key under our kid',
    ])('when the token is %s, then it is refused on refresh and on every WebChannels route', async (name) => {
      const forgery = forgeries.find((f) => f.name === name);
      expect(forgery).toBeDefined();
      await expectRefusedEverywhere(forgery!.token, forgery!.code, forgery!.reason);
    });
  });

  test("when a valid token of another account is used, then refresh says account_mismatch and the conversation does not exist for it", async () => {
    const { token } = await stack.mint(other.deploymentKey);
    const rows = await stack.rowCounts();
    const refreshed = await send(stack.edge.port, { method: 'POST', path: REFRESH, body: JSON.stringify({ deploymentKey: account.deploymentKey, token }), headers: { ...browserHeaders(), 'content-type': 'application/json' } });
    expectProblem(refreshed, 403, 'account_mismatch');
    for (const [route, request] of uses(token).slice(2)) {
      tried += 1;
      const response = await send(stack.edge.port, request);
      expect({ route, status: response.status }).toEqual({ route, status: 404 });
      expectProblem(response, 404, 'conversation_not_found');
      passed += 1;
    }
    expect(await stack.rowCounts()).toEqual(rows);
  });

  test('when a bound token is used by another client (another User-Agent) or with no signals, then fingerprint_mismatch / fingerprint_required', async () => {
    stack.system.setSecurityFlag(true);
    const bound = await stack.system.createAccount({ fingerprintSensitivity: 'medium' });
    const { token } = await stack.mint(bound.deploymentKey);
    const sid = await stack.createChannel(token);
    const thief = { ...browserHeaders(), 'user-agent': 'curl/8.5.0' };
    const routesFor = (headers: Record<string, string>) =>
      uses(token, headers).map(([route, request]): [string, RawRequest] => [
        route,
        route === 'refresh'
          ? { ...request, body: JSON.stringify({ deploymentKey: bound.deploymentKey, token }) }
          : { ...request, path: request.path.replace(conversationSid, sid) },
      ]);
    for (const [headers, code] of [[thief, 'fingerprint_mismatch'], [{}, 'fingerprint_required']] as const) {
      const rows = await stack.rowCounts();
      for (const [route, request] of routesFor(headers)) {
        tried += 1;
        const response = await send(stack.edge.port, request);
        expect({ route, status: response.status, code: response.json<{ code: string }>().code }).toEqual({ route, status: 401, code });
        passed += 1;
      }
      expect(await stack.rowCounts()).toEqual(rows);
    }
    // The owner's own client still gets in.
    expect((await send(stack.edge.port, { path: `${CHANNELS}/${sid}`, headers: guestHeaders(token) })).status).toBe(200);
  });

  test('when a session has reached its absolute cap, then refresh says session_expired and mints nothing, also for a token that was itself refreshed', async () => {
    const { token } = await stack.mint(account.deploymentKey);
    const refresh = (t: string) => send(stack.edge.port, { method: 'POST', path: REFRESH, body: JSON.stringify({ deploymentKey: account.deploymentKey, token: t }), headers: { ...browserHeaders(), 'content-type': 'application/json' } });
    const first = await refresh(token);
    expect(first.status).toBe(200);
    const renewed = first.json<{ token: string }>().token;
    stack.watch.add('token', renewed);
    clockOffset = SESSION_MAX_AGE_SECONDS - 30;
    const before = minted();
    for (const t of [token, renewed]) {
      tried += 1;
      expectProblem(await refresh(t), 401, 'session_expired');
      passed += 1;
    }
    expect(minted()).toBe(before);
  });

  test('when scoped-auth is redeployed without the signing key (then the encryption key) a token was made with, then that token is refused and new ones work', async () => {
    const { material } = stack.system.scopedAuth;
    const oldToken = (await stack.mint(account.deploymentKey)).token;
    const sig2 = signingKey('sig-2');
    scoped.setMaterial({ signing: [sig2], activeSigningKid: 'sig-2', encryption: material.encryption, activeEncryptionKid: material.activeEncryptionKid });
    await scoped.host.stop();
    await scoped.host.start();
    await expectRefusedEverywhere(oldToken, 'token_invalid', /JWS kid is not a configured key/);
    const newToken = (await stack.mint(account.deploymentKey)).token;
    expect((await send(stack.edge.port, { method: 'POST', path: CHANNELS, body: '{}', headers: { ...guestHeaders(newToken), 'content-type': 'application/json' } })).status).toBe(201);

    const enc2 = encryptionKey(`enc-${crypto.randomBytes(2).toString('hex')}`);
    scoped.setMaterial({ signing: [sig2], activeSigningKid: 'sig-2', encryption: [enc2], activeEncryptionKid: enc2.kid });
    await scoped.host.stop();
    await scoped.host.start();
    stack.watch.add('key material', enc2.secret.toString('base64url'));
    await expectRefusedEverywhere(newToken, 'token_invalid', /JWE kid is not a configured key/);
    expect((await stack.mint(account.deploymentKey)).token).toEqual(expect.any(String));
  });

  test('after everything above, no log line of any service or of nginx holds a secret', () => {
    expectNoLeaks(stack);
  });
});
