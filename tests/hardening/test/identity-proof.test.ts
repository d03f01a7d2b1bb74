import jwt from 'jsonwebtoken';
import { browserHeaders } from '@webchat/test-harness';
import { send, type RawResponse } from './support/client';
import { recordFigures } from './support/figures';
import { expectNoLeaks } from './support/log-check';
import { expectProblem } from './support/problems';
import { CHANNELS, TOKEN, guestHeaders, noteTokens, startStack, type Stack } from './support/stack';

const DAY = 86_400;
const GRACE_SECONDS = 30 * DAY;
const json = { 'content-type': 'application/json' };
const attackerHeaders = () => browserHeaders({ 'user-agent': 'Mozilla/5.0 (Attacker) Firefox/140.0' });

/**
 * Issue 12, finding 1: the deployment key is public, so a token is minted for an identity only when
 * the caller proves it. Everything through Starship, against real services and Postgres.
 */
describe('a returning identity needs proof: the takeover through a bare identity is closed', () => {
  let stack: Stack;
  let clockOffset = 0;
  let tried = 0;
  let passed = 0;

  beforeAll(async () => {
    stack = await startStack({ previousTokenGraceSeconds: GRACE_SECONDS, scopedAuthNow: () => Math.floor(Date.now() / 1000) + clockOffset });
  });
  afterEach(() => {
    clockOffset = 0;
    stack.system.setSecurityFlag(false);
  });
  afterAll(async () => {
    recordFigures('identity-proof', { casesTried: tried, casesPassed: passed });
    await stack?.stop();
  });

  async function mintWith(deploymentKey: string, fields: Record<string, unknown>, headers = browserHeaders()): Promise<RawResponse> {
    const response = await send(stack.edge.port, { method: 'POST', path: TOKEN, body: JSON.stringify({ deploymentKey, ...fields }), headers: { ...json, ...headers } });
    noteTokens(stack.watch, response.text);
    const identity = /"identity"\s*:\s*"([^"]+)"/.exec(response.text)?.[1];
    stack.watch.add('guest identity', identity);
    return response;
  }

  /** Counts an attack case: it must be refused as `code` for the case to pass. */
  function refused(response: RawResponse, status: number, code: Parameters<typeof expectProblem>[2]): void {
    tried += 1;
    expectProblem(response, status, code);
    passed += 1;
  }

  test('when an attacker mints with the victim identity, then 400 identity_proof_required, and its own token reads and writes nothing of the victim', async () => {
    const { deploymentKey } = await stack.system.createAccount();
    const victim = await stack.mint(deploymentKey);
    stack.watch.add('guest identity', victim.identity);
    const conversationSid = await stack.createChannel(victim.token);

    // Step 1 of the reported takeover: a mint naming the victim's identity, from another browser.
    refused(await mintWith(deploymentKey, { identity: victim.identity }, attackerHeaders()), 400, 'identity_proof_required');
    // Form bodies are the same route: no spelling gets around it.
    const form = await send(stack.edge.port, {
      method: 'POST',
      path: TOKEN,
      body: new URLSearchParams({ deploymentKey, identity: victim.identity }).toString(),
      headers: { ...attackerHeaders(), 'content-type': 'application/x-www-form-urlencoded' },
    });
    refused(form, 400, 'identity_proof_required');

    // Step 2: whatever token the attacker can get has another identity, and the victim's conversation is not there for it.
    const own = await mintWith(deploymentKey, {}, attackerHeaders());
    expect(own.status).toBe(200);
    expect(own.json<{ identity: string }>().identity).not.toBe(victim.identity);
    const attacker = own.json<{ token: string }>().token;
    refused(await send(stack.edge.port, { path: `${CHANNELS}/${conversationSid}`, headers: guestHeaders(attacker, attackerHeaders()) }), 404, 'conversation_not_found');
    refused(
      await send(stack.edge.port, { method: 'POST', path: `${CHANNELS}/${conversationSid}/Messages`, body: JSON.stringify({ body: 'hijacked' }), headers: { ...guestHeaders(attacker, attackerHeaders()), ...json } }),
      404,
      'conversation_not_found',
    );
    const { rows } = await stack.system.db.query<{ n: number }>("SELECT count(*)::int AS n FROM messages WHERE conversation_sid = $1 AND author = 'guest'", [conversationSid]);
    expect(rows[0]!.n).toBe(0);
  });

  describe('the previous token proves a returning guest', () => {
    test('when a guest comes back the next day with its expired token, then it gets the same identity and its conversation reopens', async () => {
      const { deploymentKey } = await stack.system.createAccount({ fingerprintSensitivity: 'medium' });
      stack.system.setSecurityFlag(true);
      clockOffset = -DAY; // yesterday's token, long expired today (1 h lifetime)
      const yesterday = await stack.mint(deploymentKey);
      const conversationSid = await stack.createChannel(yesterday.token);
      clockOffset = 0;
      const expired = await send(stack.edge.port, { path: `${CHANNELS}/${conversationSid}`, headers: guestHeaders(yesterday.token) });
      expectProblem(expired, 401, 'token_expired');

      const back = await mintWith(deploymentKey, { previousToken: yesterday.token });
      expect(back.status).toBe(200);
      const fresh = back.json<{ token: string; identity: string }>();
      expect(fresh.identity).toBe(yesterday.identity);
      const reopened = await send(stack.edge.port, { path: `${CHANNELS}/${conversationSid}`, headers: guestHeaders(fresh.token) });
      expect(reopened.status).toBe(200);
      expect(reopened.json<{ conversationSid: string }>().conversationSid).toBe(conversationSid);
    });

    test('when the previous token expired longer ago than the grace, then 401 token_expired and no token', async () => {
      const { deploymentKey } = await stack.system.createAccount();
      clockOffset = -(GRACE_SECONDS + 2 * 3600);
      const old = await stack.mint(deploymentKey);
      clockOffset = 0;
      refused(await mintWith(deploymentKey, { previousToken: old.token }), 401, 'token_expired');
    });

    test("when the previous token is another account's, then 403 account_mismatch", async () => {
      const mine = await stack.system.createAccount();
      const theirs = await stack.system.createAccount();
      const foreign = await stack.mint(theirs.deploymentKey);
      refused(await mintWith(mine.deploymentKey, { previousToken: foreign.token }), 403, 'account_mismatch');
    });

    test('when a bound previous token is presented by another browser, then 401 fingerprint_mismatch', async () => {
      const { deploymentKey } = await stack.system.createAccount({ fingerprintSensitivity: 'low' });
      stack.system.setSecurityFlag(true);
      const stolen = await stack.mint(deploymentKey);
      refused(await mintWith(deploymentKey, { previousToken: stolen.token }, attackerHeaders()), 401, 'fingerprint_mismatch');
    });

    test('when the previous token is tampered with, then 401 token_invalid', async () => {
      const { deploymentKey } = await stack.system.createAccount();
      const real = await stack.mint(deploymentKey);
      const parts = real.token.split('.');
      const middle = Math.floor(parts[3]!.length / 2);
      parts[3] = parts[3]!.slice(0, middle) + (parts[3]![middle] === 'A' ? 'B' : 'A') + parts[3]!.slice(middle + 1);
      refused(await mintWith(deploymentKey, { previousToken: parts.join('.') }), 401, 'token_invalid');
    });

    test("when the previous token's deployment key has been revoked, then 401 token_revoked, even through the account's other key", async () => {
      const { accountSid, deploymentKey, keyId } = await stack.system.createAccount();
      const other = await stack.system.accounts.issueDeploymentKey(accountSid);
      stack.watch.add('deployment key', other.key);
      const minted = await stack.mint(deploymentKey);
      await stack.system.accounts.revokeDeploymentKey(keyId);
      refused(await mintWith(other.key, { previousToken: minted.token }), 401, 'token_revoked');
    });

    test('when previousToken and identityToken are both sent, then 400 invalid_request', async () => {
      const { deploymentKey } = await stack.system.createAccount();
      const minted = await stack.mint(deploymentKey);
      refused(await mintWith(deploymentKey, { previousToken: minted.token, identityToken: 'x.y.z' }), 400, 'invalid_request');
    });
  });

  describe("a customer-signed identity token proves a signed-in user", () => {
    const sign = (payload: Record<string, unknown>, secret: string, options: jwt.SignOptions = {}) =>
      jwt.sign(payload, secret, { algorithm: 'HS256', expiresIn: 600, ...options });

    test('when the same signed-in user opens the widget in two browsers, then both get the same identity and the trusted name', async () => {
      const { accountSid, deploymentKey } = await stack.system.createAccount();
      const secret = await stack.system.rotateIdentitySecret(accountSid);
      stack.watch.add('identity secret', secret);
      const identityToken = sign({ sub: 'user-4711', name: 'Ada Lovelace', email: 'ada@example.com' }, secret, { audience: accountSid });
      const first = await mintWith(deploymentKey, { identityToken });
      const second = await mintWith(deploymentKey, { identityToken }, attackerHeaders());
      expect([first.status, second.status]).toEqual([200, 200]);
      const a = first.json<{ identity: string; verifiedGuest: unknown; token: string }>();
      const b = second.json<{ identity: string }>();
      expect(a.identity).toBe(b.identity);
      expect(a.verifiedGuest).toEqual({ name: 'Ada Lovelace', email: 'ada@example.com' });
      // Another user of the same account is another guest.
      const other = await mintWith(deploymentKey, { identityToken: sign({ sub: 'user-4712' }, secret, { audience: accountSid }) });
      expect(other.json<{ identity: string }>().identity).not.toBe(a.identity);
      // The trusted fields belong to the conversation, whatever the guest types.
      const created = await send(stack.edge.port, {
        method: 'POST',
        path: CHANNELS,
        body: JSON.stringify({ preEngagementData: { name: 'Mallory' } }),
        headers: { ...guestHeaders(a.token), ...json },
      });
      expect(created.status).toBe(201);
      expect(created.json<{ verifiedGuest: unknown }>().verifiedGuest).toEqual({ name: 'Ada Lovelace', email: 'ada@example.com' });
    });

    test('when the identity token is signed with a wrong secret, uses alg none, has expired, is for another account or has no exp, then 401 identity_token_invalid', async () => {
      const { accountSid, deploymentKey } = await stack.system.createAccount();
      const other = await stack.system.createAccount();
      const secret = await stack.system.rotateIdentitySecret(accountSid);
      const otherSecret = await stack.system.rotateIdentitySecret(other.accountSid);
      stack.watch.add('identity secret', secret, otherSecret);
      const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(
        JSON.stringify({ sub: 'user-1', aud: accountSid, exp: Math.floor(Date.now() / 1000) + 600 }),
      ).toString('base64url')}.`;
      const cases: Array<[string, string]> = [
        ['a wrong secret', sign({ sub: 'user-1' }, 'is_not-the-secret-of-this-account-at-all-0000000', { audience: accountSid })],
        ['alg none', unsigned],
        ['HS512 instead of HS256', sign({ sub: 'user-1' }, secret, { audience: accountSid, algorithm: 'HS512' })],
        ['expired', jwt.sign({ sub: 'user-1', aud: accountSid, exp: Math.floor(Date.now() / 1000) - 600 }, secret, { algorithm: 'HS256' })],
        ["another account's (its secret and audience)", sign({ sub: 'user-1' }, otherSecret, { audience: other.accountSid })],
        ["another account's audience under this secret", sign({ sub: 'user-1' }, secret, { audience: other.accountSid })],
        ['no exp', jwt.sign({ sub: 'user-1', aud: accountSid }, secret, { algorithm: 'HS256' })],
        ['an exp a year ahead', sign({ sub: 'user-1' }, secret, { audience: accountSid, expiresIn: 365 * DAY })],
        ['no sub', sign({ name: 'x' }, secret, { audience: accountSid })],
      ];
      for (const [what, identityToken] of cases) {
        const response = await mintWith(deploymentKey, { identityToken });
        expect({ what, status: response.status }).toEqual({ what, status: 401 });
        refused(response, 401, 'identity_token_invalid');
      }
    });

    test('when the account has rotated its secret, then the previous secret still verifies until it is retired', async () => {
      const { accountSid, deploymentKey } = await stack.system.createAccount();
      const before = await stack.system.rotateIdentitySecret(accountSid);
      const after = await stack.system.rotateIdentitySecret(accountSid);
      stack.watch.add('identity secret', before, after);
      for (const secret of [before, after]) {
        const response = await mintWith(deploymentKey, { identityToken: sign({ sub: 'user-9' }, secret, { audience: accountSid }) });
        expect(response.status).toBe(200);
      }
    });
  });

  test('no identity, token, key or secret appears in any log line of this run (services and Starship, read from the logs)', () => {
    expectNoLeaks(stack);
  });
});
