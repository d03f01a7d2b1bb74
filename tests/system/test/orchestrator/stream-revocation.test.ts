import { CONVERSATION_EVENTS_PATH, CONVERSATIONS_PATH, WEB_CHANNELS_PATH, WEBCHAT_TOKEN_PATH } from '@webchat/contracts';
import { browserHeaders, call, openSse, startSystemWithTwoReplicas, type OrchestratorProcess, type SseStream, type SystemUnderTest } from '@webchat/test-harness';

const FAILURE_LIMIT = 5;
const WITHIN_MS = 1000;
const thief = () => browserHeaders({ 'user-agent': 'Mozilla/5.0 (Thief) Gecko/20100101 Firefox/140.0' });
const asGuest = (token: string, headers = browserHeaders()) => ({ ...headers, authorization: `Bearer ${token}` });
const asAgent = (key: string) => ({ authorization: `Bearer ${key}` });

/**
 * Issue 12 for held streams: revoking what opened a live stream (the deployment key that minted the guest's token,
 * the token itself by fingerprint mismatches, the agent's key) ends the stream within a second on every replica,
 * with a final `revoked` event, and nothing is delivered on it afterwards. Two real orchestrator processes
 * (tsx src/start.ts, caches and LISTEN/NOTIFY feeds as deployed) share one Postgres.
 */
describe('held streams, with two orchestrator processes', () => {
  let system: SystemUnderTest;
  let replicas: OrchestratorProcess[];
  let stop: (() => Promise<void>) | undefined;
  const streams: SseStream[] = [];

  beforeAll(async () => {
    ({ system, replicas, stop } = await startSystemWithTwoReplicas({ TOKEN_FAILURE_LIMIT: String(FAILURE_LIMIT) }));
  }, 300_000);
  afterEach(() => {
    for (const stream of streams.splice(0)) stream.close();
  });
  afterAll(() => stop?.());

  const urls = () => replicas.map((r) => r.url);

  async function open(url: string, path: string, headers: Record<string, string>): Promise<SseStream> {
    const stream = await openSse(`${url}${path}`, headers);
    streams.push(stream);
    expect(stream.status).toBe(200);
    return stream;
  }

  async function conversationFor(url: string, deploymentKey: string): Promise<{ token: string; sid: string }> {
    const minted = await call(`${url}${WEBCHAT_TOKEN_PATH}`, { json: { deploymentKey }, headers: browserHeaders() });
    expect(minted.status).toBe(200);
    const created = await call(`${url}${WEB_CHANNELS_PATH}`, { json: {}, headers: asGuest(minted.body.token) });
    expect(created.status).toBe(201);
    return { token: minted.body.token, sid: created.body.conversationSid };
  }

  const agentSays = async (url: string, key: string, sid: string, body: string) =>
    expect((await call(`${url}${CONVERSATIONS_PATH}/${sid}/Messages`, { json: { body }, headers: asAgent(key) })).status).toBe(201);
  const saw = (stream: SseStream, body: string) => stream.waitFor((events) => events.some((e) => e.data?.data?.body === body));

  /** Resolves with how long after `since` the stream ended; fails when it is still open `WITHIN_MS` after it. */
  async function endedWithin(stream: SseStream, since: number): Promise<number> {
    const late = new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), Math.max(0, since + WITHIN_MS - Date.now())).unref());
    expect(await Promise.race([stream.ended.then(() => 'ended' as const), late])).toBe('ended');
    return Date.now() - since;
  }

  /** After its end, the stream's last event says why, and a later message is not on it. */
  async function endedWith(stream: SseStream, code: string, later: () => Promise<void>): Promise<void> {
    const before = stream.events.length;
    expect(stream.events.at(-1)).toMatchObject({ event: 'revoked', data: { code } });
    await later();
    await new Promise((r) => setTimeout(r, 300));
    expect(stream.events.length).toBe(before);
  }

  test('when the deployment key that minted a guest token is revoked, then its open streams on both replicas end within 1 s with token_revoked, and reopening is refused', async () => {
    const { accountSid, deploymentKey, keyId } = await system.createAccount();
    const agent = await system.addAgent(accountSid, 'Ada');
    const { token, sid } = await conversationFor(urls()[0]!, deploymentKey);
    const path = `${WEB_CHANNELS_PATH}/${sid}/Events`;
    const held = await Promise.all(urls().map((url) => open(url, path, asGuest(token))));
    await agentSays(urls()[1]!, agent.key, sid, 'before the revocation');
    await Promise.all(held.map((stream) => saw(stream, 'before the revocation')));

    await system.accounts.revokeDeploymentKey(keyId);
    const revokedAt = Date.now();
    const took = await Promise.all(held.map((stream) => endedWithin(stream, revokedAt)));
    for (const stream of held) await endedWith(stream, 'token_revoked', () => agentSays(urls()[0]!, agent.key, sid, 'after the revocation'));
    const reopened = await openSse(`${urls()[1]}${path}`, asGuest(token));
    expect([reopened.status, reopened.problem?.code]).toEqual([401, 'token_revoked']);
    process.stdout.write(`guest streams ended ${took.join(' ms and ')} ms after the key was revoked\n`);
  });

  test(`when a token is killed by ${FAILURE_LIMIT} fingerprint mismatches on one replica, then its owner's stream on the other ends within 1 s with token_revoked; fewer mismatches leave it open`, async () => {
    const { accountSid, deploymentKey } = await system.createAccount({ fingerprintSensitivity: 'low' });
    const agent = await system.addAgent(accountSid, 'Ada');
    const [a, b] = urls();
    const { token, sid } = await conversationFor(a!, deploymentKey);
    const held = await open(a!, `${WEB_CHANNELS_PATH}/${sid}/Events`, asGuest(token));
    for (let guess = 1; guess < FAILURE_LIMIT; guess++) expect((await call(`${b}${WEB_CHANNELS_PATH}/${sid}`, { headers: asGuest(token, thief()) })).body.code).toBe('fingerprint_mismatch');
    await agentSays(b!, agent.key, sid, `after ${FAILURE_LIMIT - 1} mismatches`);
    await saw(held, `after ${FAILURE_LIMIT - 1} mismatches`);

    expect((await call(`${b}${WEB_CHANNELS_PATH}/${sid}`, { headers: asGuest(token, thief()) })).body.code).toBe('fingerprint_mismatch');
    const killedAt = Date.now();
    const took = await endedWithin(held, killedAt);
    await endedWith(held, 'token_revoked', () => agentSays(b!, agent.key, sid, 'after the kill'));
    process.stdout.write(`guest stream ended ${took} ms after the token was killed on the other replica\n`);
  });

  test("when an agent is removed (its key revoked), then its desk streams on both replicas end within 1 s with agent_key_invalid; another agent's desk stream stays open", async () => {
    const { accountSid, deploymentKey } = await system.createAccount();
    const removed = await system.addAgent(accountSid, 'Ada');
    const kept = await system.addAgent(accountSid, 'Grace');
    const { sid } = await conversationFor(urls()[0]!, deploymentKey);
    const held = await Promise.all(urls().map((url) => open(url, CONVERSATION_EVENTS_PATH, asAgent(removed.key))));
    const other = await open(urls()[0]!, CONVERSATION_EVENTS_PATH, asAgent(kept.key));
    await agentSays(urls()[1]!, kept.key, sid, 'before the removal');
    await Promise.all([...held, other].map((stream) => saw(stream, 'before the removal')));

    await system.agents.removeAgent(removed.agentSid);
    const removedAt = Date.now();
    const took = await Promise.all(held.map((stream) => endedWithin(stream, removedAt)));
    for (const stream of held) await endedWith(stream, 'agent_key_invalid', () => agentSays(urls()[1]!, kept.key, sid, 'after the removal'));
    await saw(other, 'after the removal');
    process.stdout.write(`desk streams ended ${took.join(' ms and ')} ms after the agent was removed\n`);
  });
});
