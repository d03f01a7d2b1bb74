import { randomUUID } from 'node:crypto';
import { Message, MessageList, WEB_CHANNELS_PATH, WEBCHAT_TOKEN_PATH, WebChannel, WebChannelWithMessages } from '@webchat/contracts';
import { DEFAULT_WELCOME_MESSAGE } from '@webchat/orchestrator/src/domain/web-channels';
import { browserHeaders, startSystem, type SystemUnderTest } from '@webchat/test-harness';
import { call, type Reply } from '@webchat/test-harness';

// scoped-auth's clock: moved forward to make a token expire without waiting for it.
let clockOffsetSeconds = 0;
let system: SystemUnderTest;
beforeAll(async () => {
  system = await startSystem({ scopedAuthNow: () => Math.floor(Date.now() / 1000) + clockOffsetSeconds });
});
afterAll(async () => {
  await system.stop();
});
afterEach(() => {
  clockOffsetSeconds = 0;
  system.setSecurityFlag(false);
});

const ALLOWED = 'http://localhost:3000';
const channelsUrl = (suffix = '') => `${system.orchestratorUrl}${WEB_CHANNELS_PATH}${suffix}`;

async function mint(deploymentKey: string, headers: Record<string, string> = browserHeaders()): Promise<{ token: string; identity: string }> {
  const reply = await call(`${system.orchestratorUrl}${WEBCHAT_TOKEN_PATH}`, { json: { deploymentKey }, headers });
  expect(reply.status).toBe(200);
  return reply.body;
}

const asGuest = (token: string, headers: Record<string, string> = browserHeaders()) => ({ ...headers, authorization: `Bearer ${token}` });
const create = (token: string, json: unknown = {}, headers?: Record<string, string>) => call(channelsUrl(), { json, headers: asGuest(token, headers) });
const getChannel = (token: string, sid: string, headers?: Record<string, string>) => call(channelsUrl(`/${sid}`), { headers: asGuest(token, headers) });
const post = (token: string, sid: string, body: string, headers?: Record<string, string>) =>
  call(channelsUrl(`/${sid}/Messages`), { json: { body }, headers: asGuest(token, headers) });

async function conversationCount(accountSid: string): Promise<number> {
  const { rows } = await system.db.query<{ n: number }>('SELECT count(*)::int AS n FROM conversations WHERE account_sid = $1', [accountSid]);
  return rows[0]?.n ?? 0;
}
async function messageBodies(conversationSid: string): Promise<string[]> {
  const { rows } = await system.db.query<{ body: string }>('SELECT body FROM messages WHERE conversation_sid = $1 ORDER BY seq', [conversationSid]);
  return rows.map((row) => row.body);
}

/** An account, a guest token for it, and that guest's conversation. */
async function guestWithConversation(settings: Parameters<SystemUnderTest['createAccount']>[0] = {}) {
  const account = await system.createAccount(settings);
  const fromAllowedSite = { ...browserHeaders(), origin: ALLOWED };
  const guest = await mint(account.deploymentKey, fromAllowedSite);
  const created = await create(guest.token, {}, fromAllowedSite);
  expect(created.status).toBe(201);
  return { ...account, ...guest, conversationSid: created.body.conversationSid as string };
}

function expectProblem(reply: Reply, status: number, code: string): void {
  expect({ status: reply.status, code: reply.body?.code }).toEqual({ status, code });
  expect(reply.headers.get('content-type')).toMatch(/application\/problem\+json/);
}

describe('POST /v2/WebChannels', () => {
  test('when the token is valid, then 201 with the conversation, and Postgres holds it with the welcome and the question as its first messages', async () => {
    const { accountSid, deploymentKey } = await system.createAccount({ welcomeMessage: 'Welcome to Acme!' });
    const guest = await mint(deploymentKey);
    const preEngagementData = { friendlyName: 'Ada', email: 'ada@example.com', question: '  Where is my order?  ' };
    const reply = await create(guest.token, { customerFriendlyName: 'Ada', preEngagementData });

    expect(reply.status).toBe(201);
    expect(WebChannel.safeParse(reply.body).success).toBe(true);
    expect(reply.body).toMatchObject({ identity: guest.identity, welcomeMessage: 'Welcome to Acme!' });
    expect(reply.body.conversationSid).toMatch(/^CH[0-9a-f]{32}$/);
    expect(reply.headers.get('location')).toBe(`${WEB_CHANNELS_PATH}/${reply.body.conversationSid}`);
    expect(reply.headers.get('cache-control')).toBe('no-store');

    const { rows } = await system.db.query('SELECT account_sid, identity::text, customer_friendly_name, pre_engagement_data FROM conversations WHERE sid = $1', [
      reply.body.conversationSid,
    ]);
    expect(rows).toEqual([{ account_sid: accountSid, identity: guest.identity, customer_friendly_name: 'Ada', pre_engagement_data: preEngagementData }]);
    expect(await messageBodies(reply.body.conversationSid)).toEqual(['Welcome to Acme!', 'Where is my order?']);
  });

  test('when the account has no welcome message and no question is asked, then a default welcome is the only message', async () => {
    const { conversationSid } = await guestWithConversation();
    expect(await messageBodies(conversationSid)).toEqual([DEFAULT_WELCOME_MESSAGE]);
  });

  test.each([
    ['no Authorization header', undefined],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['an empty bearer', 'Bearer '],
    ['a token that is not ours', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'],
  ])('when there is %s, then 401 token_invalid and nothing is written', async (_case, authorization) => {
    const { accountSid, deploymentKey } = await system.createAccount();
    const { token } = await mint(deploymentKey);
    const reply = await call(channelsUrl(), { json: { token }, headers: { ...browserHeaders(), ...(authorization ? { authorization } : {}) } });
    expectProblem(reply, 401, 'token_invalid');
    expect(await conversationCount(accountSid)).toBe(0);
  });

  test('when the token is sent anywhere but the Authorization header, then it is not accepted', async () => {
    const { deploymentKey } = await system.createAccount();
    const { token } = await mint(deploymentKey);
    const reply = await call(`${channelsUrl()}?token=${encodeURIComponent(token)}`, { json: {}, headers: browserHeaders() });
    expectProblem(reply, 401, 'token_invalid');
    expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  test('when the token has expired, then 401 token_expired and nothing is written', async () => {
    const { accountSid, deploymentKey } = await system.createAccount({ tokenTtlSeconds: 600 });
    const { token } = await mint(deploymentKey);
    clockOffsetSeconds = 600 + 60;
    expectProblem(await create(token), 401, 'token_expired');
    expect(await conversationCount(accountSid)).toBe(0);
  });

  test('when the flag is on, then the token works from its own client only: another User-Agent gets fingerprint_mismatch, no signals fingerprint_required', async () => {
    system.setSecurityFlag(true);
    const { accountSid, deploymentKey } = await system.createAccount({ fingerprintSensitivity: 'medium' });
    const { token } = await mint(deploymentKey);

    expectProblem(await create(token, {}, browserHeaders({ 'user-agent': 'Mozilla/5.0 (Macintosh) Safari/605.1' })), 401, 'fingerprint_mismatch');
    expectProblem(await call(channelsUrl(), { json: {}, headers: { authorization: `Bearer ${token}` } }), 401, 'fingerprint_required');
    expect(await conversationCount(accountSid)).toBe(0);

    const own = await create(token);
    expect(own.status).toBe(201);
    const elsewhere = browserHeaders({ 'user-agent': 'curl/8.5' });
    expectProblem(await getChannel(token, own.body.conversationSid, elsewhere), 401, 'fingerprint_mismatch');
    expectProblem(await post(token, own.body.conversationSid, 'hi', elsewhere), 401, 'fingerprint_mismatch');
    expect(await messageBodies(own.body.conversationSid)).toEqual([DEFAULT_WELCOME_MESSAGE]);
  });

  test('when the account was suspended after the token was issued, then 403 deployment_key_invalid and nothing is written', async () => {
    const { accountSid, deploymentKey } = await system.createAccount();
    const { token } = await mint(deploymentKey);
    await system.accounts.setAccountStatus(accountSid, 'suspended');
    expectProblem(await create(token), 403, 'deployment_key_invalid');
    expect(await conversationCount(accountSid)).toBe(0);
  });
});

describe('WebChannels, CORS', () => {
  const origins = [ALLOWED, 'https://*.brand.example'];

  test('when the origin is allowed, then 201 and ACAO is that origin', async () => {
    const { deploymentKey } = await system.createAccount({ allowedOrigins: origins });
    const { token } = await mint(deploymentKey, { ...browserHeaders(), origin: ALLOWED });
    const reply = await create(token, {}, { ...browserHeaders(), origin: ALLOWED });
    expect(reply.status).toBe(201);
    expect(reply.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(reply.headers.get('vary')).toMatch(/Origin/);
  });

  test.each([
    ['another port', 'http://localhost:3001'],
    ['a look-alike', 'https://brand.example.evil.com'],
    ['no origin', undefined],
  ])('when the origin is %s, then 403 (origin_not_allowed, or origin_required without one) with the list as ACAO, and nothing is written', async (_case, origin) => {
    const { accountSid, deploymentKey } = await system.createAccount({ allowedOrigins: origins });
    const { token } = await mint(deploymentKey, { ...browserHeaders(), origin: ALLOWED });
    const headers = { ...browserHeaders(), ...(origin ? { origin } : {}) };
    const reply = await create(token, { preEngagementData: { question: 'hello?' } }, headers);
    expectProblem(reply, 403, origin ? 'origin_not_allowed' : 'origin_required');
    expect(reply.headers.get('access-control-allow-origin')).toBe(origins.join(','));
    expect(await conversationCount(accountSid)).toBe(0);
  });

  test('when a message is posted from a refused origin, then 403 and it is not stored', async () => {
    const { token, conversationSid } = await guestWithConversation({ allowedOrigins: origins });
    const reply = await post(token, conversationSid, 'sneaky', { ...browserHeaders(), origin: 'http://localhost:3001' });
    expectProblem(reply, 403, 'origin_not_allowed');
    expect(await messageBodies(conversationSid)).toEqual([DEFAULT_WELCOME_MESSAGE]);
  });

  test('a preflight for a message post is answered 204 and allows the Authorization header', async () => {
    const reply = await call(channelsUrl(`/CH${'a'.repeat(32)}/Messages`), {
      method: 'OPTIONS',
      headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(reply.status).toBe(204);
    expect(reply.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(reply.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(reply.headers.get('access-control-allow-methods')).toContain('GET');
  });
});

describe('WebChannels, bodies', () => {
  test('when preEngagementData is over 16 KB, then 400 invalid_request naming it, and nothing is written', async () => {
    const { accountSid, deploymentKey } = await system.createAccount();
    const { token } = await mint(deploymentKey);
    const reply = await create(token, { preEngagementData: { notes: 'x'.repeat(17 * 1024) } });
    expectProblem(reply, 400, 'invalid_request');
    expect(reply.body.errors).toEqual([expect.objectContaining({ field: 'preEngagementData' })]);
    expect(await conversationCount(accountSid)).toBe(0);
  });

  test('when the body is over the 32 KB limit, then 413 payload_too_large', async () => {
    const { deploymentKey } = await system.createAccount();
    const { token } = await mint(deploymentKey);
    expectProblem(await create(token, { preEngagementData: { notes: 'x'.repeat(40 * 1024) } }), 413, 'payload_too_large');
  });

  test('when the pre-engagement question is over 4 KB, then 400 naming preEngagementData.question, and nothing is written', async () => {
    const { accountSid, deploymentKey } = await system.createAccount();
    const { token } = await mint(deploymentKey);
    const reply = await create(token, { preEngagementData: { question: 'q'.repeat(4097) } });
    expectProblem(reply, 400, 'invalid_request');
    expect(reply.body.errors).toEqual([expect.objectContaining({ field: 'preEngagementData.question' })]);
    expect(await conversationCount(accountSid)).toBe(0);
  });

  test.each([
    ['an unknown field', { surprise: true }],
    ['a non-object preEngagementData', { preEngagementData: 'question=hi' }],
    ['an empty customerFriendlyName', { customerFriendlyName: '   ' }],
  ])('when the body has %s, then 400 invalid_request', async (_case, json) => {
    const { deploymentKey } = await system.createAccount();
    const { token } = await mint(deploymentKey);
    expectProblem(await create(token, json), 400, 'invalid_request');
  });

  test('when the body is a form, then 415 (WebChannels take JSON only)', async () => {
    const { deploymentKey } = await system.createAccount();
    const { token } = await mint(deploymentKey);
    const reply = await call(channelsUrl(), { form: { customerFriendlyName: 'Ada' }, headers: asGuest(token) });
    expectProblem(reply, 415, 'unsupported_media_type');
  });

  test('when a message is over 4 KB (in UTF-8 bytes), empty or missing, then 400 and nothing is stored', async () => {
    const { token, conversationSid } = await guestWithConversation();
    expect((await post(token, conversationSid, 'a'.repeat(4096))).status).toBe(201);
    for (const body of ['a'.repeat(4097), '€'.repeat(1366), '   ', '']) {
      expectProblem(await post(token, conversationSid, body), 400, 'invalid_request');
    }
    expectProblem(await call(channelsUrl(`/${conversationSid}/Messages`), { json: {}, headers: asGuest(token) }), 400, 'invalid_request');
    expect(await messageBodies(conversationSid)).toEqual([DEFAULT_WELCOME_MESSAGE, 'a'.repeat(4096)]);
  });
});

describe('WebChannels, reading and posting', () => {
  test('messages are stored and listed in the order they were posted, after the welcome and the question', async () => {
    const { deploymentKey } = await system.createAccount({ welcomeMessage: 'Hello from Acme' });
    const { token, identity } = await mint(deploymentKey);
    const created = await create(token, { preEngagementData: { question: 'first' } });
    const sid = created.body.conversationSid as string;
    for (const body of ['second', 'third', 'fourth']) {
      const reply = await post(token, sid, body);
      expect(reply.status).toBe(201);
      expect(Message.safeParse(reply.body).success).toBe(true);
      expect(reply.body).toMatchObject({ author: 'guest', body });
    }

    const listed = await call(channelsUrl(`/${sid}/Messages`), { headers: asGuest(token) });
    expect(listed.status).toBe(200);
    expect(MessageList.safeParse(listed.body).success).toBe(true);
    expect(listed.body.messages.map((m: { author: string; body: string }) => `${m.author}:${m.body}`)).toEqual([
      'system:Hello from Acme',
      'guest:first',
      'guest:second',
      'guest:third',
      'guest:fourth',
    ]);

    const channel = await getChannel(token, sid);
    expect(channel.status).toBe(200);
    expect(WebChannelWithMessages.safeParse(channel.body).success).toBe(true);
    expect(channel.body).toMatchObject({ conversationSid: sid, identity, welcomeMessage: 'Hello from Acme', createdAt: created.body.createdAt });
    expect(channel.body.messages).toEqual(listed.body.messages);
  });

  test("when another identity's token asks for a conversation, then 404 conversation_not_found, for reading and for posting", async () => {
    const owner = await guestWithConversation();
    const other = await mint(owner.deploymentKey);
    expect(other.identity).not.toBe(owner.identity);
    expectProblem(await getChannel(other.token, owner.conversationSid), 404, 'conversation_not_found');
    expectProblem(await call(channelsUrl(`/${owner.conversationSid}/Messages`), { headers: asGuest(other.token) }), 404, 'conversation_not_found');
    expectProblem(await post(other.token, owner.conversationSid, 'not mine'), 404, 'conversation_not_found');
    expect(await messageBodies(owner.conversationSid)).toEqual([DEFAULT_WELCOME_MESSAGE]);
  });

  test("when the same identity's token comes from another account, then 404 (a conversation belongs to account and identity)", async () => {
    const owner = await guestWithConversation();
    const elsewhere = await system.createAccount();
    // The public API never mints a chosen identity; an insider's mint at scoped-auth stands in for the coincidence.
    const response = await system.scopedAuth.generate({
      accountSid: elsewhere.accountSid,
      grants: { webchat: { role: 'guest', accountSid: elsewhere.accountSid } },
      identity: owner.identity,
      deploymentKeyId: elsewhere.keyId,
    });
    expect(response.body.identity).toBe(owner.identity);
    expectProblem(await getChannel(response.body.token, owner.conversationSid), 404, 'conversation_not_found');
  });

  test('when the SID is well-formed but unknown, then 404', async () => {
    const { token } = await guestWithConversation();
    expectProblem(await getChannel(token, `CH${randomUUID().replace(/-/g, '')}`), 404, 'conversation_not_found');
  });

  test.each([
    ['too short', 'CH123'],
    ['upper-case hex', `CH${'A'.repeat(32)}`],
    ['another prefix', `AC${'a'.repeat(32)}`],
    ['a quote', `CH${'a'.repeat(31)}'`],
  ])('when the conversation SID is %s, then 400 invalid_request for reading and posting', async (_case, sid) => {
    const { token } = await guestWithConversation();
    const path = `/${encodeURIComponent(sid)}`;
    expectProblem(await call(channelsUrl(path), { headers: asGuest(token) }), 400, 'invalid_request');
    expectProblem(await call(channelsUrl(`${path}/Messages`), { headers: asGuest(token) }), 400, 'invalid_request');
    expectProblem(await call(channelsUrl(`${path}/Messages`), { json: { body: 'hi' }, headers: asGuest(token) }), 400, 'invalid_request');
  });
});

describe('conversation repository', () => {
  test('when a first message cannot be stored, then the conversation is not stored either (one transaction)', async () => {
    const { accountSid } = await system.createAccount();
    const identity = randomUUID();
    await expect(
      system.conversations.createConversation({
        accountSid,
        identity,
        customerFriendlyName: null,
        preEngagementData: null,
        // The second message breaks the table's length check after the conversation row was inserted.
        messages: [{ author: 'system', body: 'welcome' }, { author: 'guest', body: '' }],
      }),
    ).rejects.toThrow();
    expect(await conversationCount(accountSid)).toBe(0);
  });
});

describe('WebChannels, the guest message limit (30 per 60 s per conversation here, as in production)', () => {
  const LIMIT = 30;

  test('when a script posts 40 messages at once, then exactly 30 are stored, the other 10 get 429 rate_limited with Retry-After, and nothing else is written', async () => {
    const { token, conversationSid } = await guestWithConversation();
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => post(token, conversationSid, `burst ${i}`)));

    const accepted = replies.filter((reply) => reply.status === 201);
    const refused = replies.filter((reply) => reply.status === 429);
    expect({ accepted: accepted.length, refused: refused.length }).toEqual({ accepted: LIMIT, refused: 10 });
    for (const reply of refused) {
      expectProblem(reply, 429, 'rate_limited');
      const retryAfter = Number(reply.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }
    const stored = await messageBodies(conversationSid);
    expect(stored).toHaveLength(1 + LIMIT);
    expect(new Set(stored.slice(1))).toEqual(new Set(accepted.map((reply) => reply.body.body as string)));
  });

  test('when the window has passed, then the conversation accepts messages again, counted from one', async () => {
    const { token, conversationSid } = await guestWithConversation();
    for (let i = 0; i < LIMIT; i++) expect((await post(token, conversationSid, `m${i}`)).status).toBe(201);
    expectProblem(await post(token, conversationSid, 'one too many'), 429, 'rate_limited');

    // The window start is data: moving it back stands in for waiting a minute.
    await system.db.query(`UPDATE conversations SET guest_message_window_started_at = now() - interval '61 seconds' WHERE sid = $1`, [conversationSid]);
    expect((await post(token, conversationSid, 'after the window')).status).toBe(201);
    const { rows } = await system.db.query<{ n: number }>('SELECT guest_message_window_count AS n FROM conversations WHERE sid = $1', [conversationSid]);
    expect(rows[0]?.n).toBe(1);
    expect(await messageBodies(conversationSid)).not.toContain('one too many');
  });

  test("when one conversation is full, then the guest's other conversation and other guests still post", async () => {
    const full = await guestWithConversation();
    await Promise.all(Array.from({ length: LIMIT }, (_, i) => post(full.token, full.conversationSid, `m${i}`)));
    expectProblem(await post(full.token, full.conversationSid, 'refused'), 429, 'rate_limited');

    const second = await create(full.token, {}, { ...browserHeaders(), origin: ALLOWED });
    expect((await post(full.token, second.body.conversationSid as string, 'another conversation')).status).toBe(201);
    const other = await guestWithConversation();
    expect((await post(other.token, other.conversationSid, 'another guest')).status).toBe(201);
  });

  test("when the conversation is not the guest's, then 404 before any counting, and its owner's window is untouched", async () => {
    const owner = await guestWithConversation();
    const stranger = await mint(owner.deploymentKey);
    for (let i = 0; i < 3; i++) expectProblem(await post(stranger.token, owner.conversationSid, 'not mine'), 404, 'conversation_not_found');
    const { rows } = await system.db.query<{ n: number }>('SELECT guest_message_window_count AS n FROM conversations WHERE sid = $1', [owner.conversationSid]);
    expect(rows[0]?.n).toBe(0);
  });
});

describe("WebChannels, with TOKEN_VALIDATION_CACHE_SECONDS set: scoped-auth's verdict on a guest token reused for a short while", () => {
  let cached: SystemUnderTest;
  beforeAll(async () => {
    cached = await startSystem({ tokenValidationCacheSeconds: 30 });
    cached.setSecurityFlag(true);
  });
  afterAll(() => cached.stop());

  const lookups = async (result: 'hit' | 'miss'): Promise<number> => {
    const text = await (await fetch(`${cached.orchestratorUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`token_validation_cache_lookups_total{result="${result}"`));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  const postAt = (token: string, sid: string, body: string, headers?: Record<string, string>) =>
    call(`${cached.orchestratorUrl}${WEB_CHANNELS_PATH}/${sid}/Messages`, { json: { body }, headers: asGuest(token, headers) });

  test('when a guest posts twice with its token, then scoped-auth is asked once; the same token from another browser is still asked, refused each time, and writes nothing', async () => {
    const { deploymentKey } = await cached.createAccount({ fingerprintSensitivity: 'medium' });
    const minted = await call(`${cached.orchestratorUrl}${WEBCHAT_TOKEN_PATH}`, { json: { deploymentKey }, headers: browserHeaders() });
    const token = minted.body.token as string;
    const created = await call(`${cached.orchestratorUrl}${WEB_CHANNELS_PATH}`, { json: {}, headers: asGuest(token) });
    expect(created.status).toBe(201);
    const sid = created.body.conversationSid as string;
    const [hitsBefore, missesBefore] = [await lookups('hit'), await lookups('miss')];

    expect((await postAt(token, sid, 'first')).status).toBe(201);
    expect((await postAt(token, sid, 'second')).status).toBe(201);
    expect({ hits: await lookups('hit'), misses: await lookups('miss') }).toEqual({ hits: hitsBefore + 2, misses: missesBefore });

    const elsewhere = browserHeaders({ 'user-agent': 'Mozilla/5.0 (Thief) Gecko/20100101 Firefox/140.0' });
    expectProblem(await postAt(token, sid, 'not mine', elsewhere), 401, 'fingerprint_mismatch');
    expectProblem(await postAt(token, sid, 'not mine', elsewhere), 401, 'fingerprint_mismatch');
    expect(await lookups('miss')).toBe(missesBefore + 2);
    const { rows } = await cached.db.query<{ body: string }>('SELECT body FROM messages WHERE conversation_sid = $1 ORDER BY seq', [sid]);
    expect(rows.map((row) => row.body)).toEqual([DEFAULT_WELCOME_MESSAGE, 'first', 'second']);
  });
});
