import fs from 'node:fs';
import { WEB_CHANNELS_PATH, WEBCHAT_REFRESH_PATH, WEBCHAT_TOKEN_PATH } from '@webchat/contracts';
import { browserHeaders, call, counterTotal, startOrchestratorProcess, startSystem, writeServiceKeyFiles, type SystemUnderTest } from '@webchat/test-harness';

const FAILURE_LIMIT = 5;
const thief = () => browserHeaders({ 'user-agent': 'Mozilla/5.0 (Thief) Gecko/20100101 Firefox/140.0' });
const guest = (token: string, headers = browserHeaders()) => ({ ...headers, authorization: `Bearer ${token}` });
const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** The same token, spelled otherwise: the tag's last character (2 data bits, 4 spare) with its lowest spare bit set. */
function respelled(token: string): string {
  const last = token.at(-1)!;
  return token.slice(0, -1) + BASE64URL_ALPHABET[BASE64URL_ALPHABET.indexOf(last) ^ 1];
}

/**
 * Issue 12, findings 3 and 4, across replicas: two real orchestrator processes (tsx src/start.ts, the
 * account cache and its LISTEN/NOTIFY feeds as deployed) share one Postgres and one set of token services.
 */
describe('with two orchestrator processes', () => {
  let system: SystemUnderTest;
  let keysDir: string;
  let replicas: Array<Awaited<ReturnType<typeof startOrchestratorProcess>>>;

  beforeAll(async () => {
    system = await startSystem();
    keysDir = writeServiceKeyFiles(system);
    const env = { TOKEN_FAILURE_LIMIT: String(FAILURE_LIMIT) };
    replicas = await Promise.all([startOrchestratorProcess(system, system.databaseUrl, keysDir, env), startOrchestratorProcess(system, system.databaseUrl, keysDir, env)]);
  }, 300_000);
  afterAll(async () => {
    await Promise.all((replicas ?? []).map((r) => r.stop()));
    await system?.stop();
    if (keysDir) fs.rmSync(keysDir, { recursive: true, force: true });
  });

  const mintAt = (url: string, deploymentKey: string, headers = browserHeaders()) => call(`${url}${WEBCHAT_TOKEN_PATH}`, { json: { deploymentKey }, headers });
  const readAt = (url: string, token: string, sid: string, headers = browserHeaders()) => call(`${url}${WEB_CHANNELS_PATH}/${sid}`, { headers: guest(token, headers) });
  const refreshAt = (url: string, deploymentKey: string, token: string, headers = browserHeaders()) =>
    call(`${url}${WEBCHAT_REFRESH_PATH}`, { json: { deploymentKey, token }, headers });

  async function conversationFor(url: string, deploymentKey: string): Promise<{ token: string; sid: string }> {
    const minted = await mintAt(url, deploymentKey);
    expect(minted.status).toBe(200);
    const created = await call(`${url}${WEB_CHANNELS_PATH}`, { json: {}, headers: guest(minted.body.token) });
    expect(created.status).toBe(201);
    return { token: minted.body.token, sid: created.body.conversationSid };
  }

  test(`when a stolen token fails the fingerprint ${FAILURE_LIMIT} times across both replicas, then it is dead on both, even for its owner`, async () => {
    const [a, b] = replicas;
    const { deploymentKey } = await system.createAccount({ fingerprintSensitivity: 'low' });
    const { token, sid } = await conversationFor(a!.url, deploymentKey);
    for (let guess = 0; guess < FAILURE_LIMIT; guess++) {
      const replica = guess % 2 === 0 ? a! : b!;
      const reply = await readAt(replica.url, token, sid, thief());
      expect({ guess, code: reply.body.code }).toEqual({ guess, code: 'fingerprint_mismatch' });
    }
    // The right signals now: too late, everywhere and on every route.
    for (const replica of [a!, b!]) {
      expect((await readAt(replica.url, token, sid)).body.code).toBe('token_revoked');
      expect((await refreshAt(replica.url, deploymentKey, token)).body.code).toBe('token_revoked');
      expect((await call(`${replica.url}${WEBCHAT_TOKEN_PATH}`, { json: { deploymentKey, previousToken: token }, headers: browserHeaders() })).body.code).toBe('token_revoked');
    }
  });

  test('when a stolen token is re-spelled (spare bits set in the last character of its tag), then no spelling but the minted one is a token: a variant is no fresh set of guesses', async () => {
    const [a, b] = replicas;
    const { deploymentKey } = await system.createAccount({ fingerprintSensitivity: 'low' });
    const { token, sid } = await conversationFor(a!.url, deploymentKey);
    const variant = respelled(token);
    expect(Buffer.from(variant.split('.')[4]!, 'base64url')).toEqual(Buffer.from(token.split('.')[4]!, 'base64url'));
    for (const replica of [a!, b!]) {
      expect((await readAt(replica.url, variant, sid, thief())).body.code).toBe('token_invalid');
      expect((await readAt(replica.url, variant, sid)).body.code).toBe('token_invalid');
    }
    expect((await readAt(a!.url, token, sid)).status).toBe(200);
  });

  test(`when a token has failed fewer than ${FAILURE_LIMIT} times, then its owner still uses it`, async () => {
    const [a, b] = replicas;
    const { deploymentKey } = await system.createAccount({ fingerprintSensitivity: 'low' });
    const { token, sid } = await conversationFor(a!.url, deploymentKey);
    for (let guess = 0; guess < FAILURE_LIMIT - 1; guess++) expect((await readAt(b!.url, token, sid, thief())).status).toBe(401);
    expect((await readAt(a!.url, token, sid)).status).toBe(200);
    expect((await readAt(b!.url, token, sid)).status).toBe(200);
  });

  test('when the deployment key that minted a token is revoked, then both replicas refuse the token within 1 s, refresh through the other key included; warm uses cost no store query', async () => {
    const [a, b] = replicas;
    const { accountSid, deploymentKey, keyId } = await system.createAccount();
    const otherKey = (await system.accounts.issueDeploymentKey(accountSid)).key;
    const { token, sid } = await conversationFor(a!.url, deploymentKey);
    for (const replica of [a!, b!]) {
      expect((await readAt(replica.url, token, sid)).status).toBe(200);
      expect((await refreshAt(replica.url, otherKey, token)).status).toBe(200);
      // Warm: the account, its keys and the token's failure record all come from memory.
      const before = await counterTotal(replica.url, 'store_queries_total');
      expect((await refreshAt(replica.url, otherKey, token)).status).toBe(200);
      expect(await counterTotal(replica.url, 'store_queries_total')).toBe(before);
    }

    await system.accounts.revokeDeploymentKey(keyId);
    const revokedAt = Date.now();
    const took: number[] = [];
    for (const replica of [a!, b!]) {
      let code: string | undefined;
      while (Date.now() - revokedAt < 1000 && (code = (await readAt(replica.url, token, sid)).body.code) !== 'token_revoked') await new Promise((r) => setTimeout(r, 20));
      took.push(Date.now() - revokedAt);
      expect(code).toBe('token_revoked');
      expect((await refreshAt(replica.url, otherKey, token)).body.code).toBe('token_revoked');
      const created = await call(`${replica.url}${WEB_CHANNELS_PATH}`, { json: {}, headers: guest(token) });
      expect(created.body.code).toBe('token_revoked');
    }
    process.stdout.write(`revocation reached both replicas after ${took.join(' ms and ')} ms\n`);
  });
});

describe('forwarded headers are believed only from the configured proxies', () => {
  let system: SystemUnderTest;
  beforeAll(async () => {
    // Starship would be at 192.0.2.10; this test client (loopback) is not it.
    system = await startSystem({ trustedProxies: ['192.0.2.10'] });
    system.setSecurityFlag(true);
  });
  afterAll(() => system.stop());

  test('when a client on the internal port forges X-Forwarded-For, then the fingerprint uses its real address: a forged one changes nothing', async () => {
    const { deploymentKey } = await system.createAccount({ fingerprintSensitivity: 'high' });
    const minted = await call(`${system.orchestratorUrl}${WEBCHAT_TOKEN_PATH}`, { json: { deploymentKey }, headers: browserHeaders({ 'x-forwarded-for': '203.0.113.7' }) });
    expect(minted.status).toBe(200);
    // Were the header believed, this address would differ from the minting one and refresh would be a mismatch.
    const refreshed = await call(`${system.orchestratorUrl}${WEBCHAT_REFRESH_PATH}`, {
      json: { deploymentKey, token: minted.body.token },
      headers: browserHeaders({ 'x-forwarded-for': '198.51.100.99' }),
    });
    expect(refreshed.status).toBe(200);
  });
});
