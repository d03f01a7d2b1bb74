import jwt from 'jsonwebtoken';
import { CONVERSATION_EVENTS_PATH, CONVERSATIONS_PATH, ConversationDetail, ConversationList, WEB_CHANNELS_PATH, WEBCHAT_TOKEN_PATH } from '@webchat/contracts';
import { browserHeaders, call, openSse, startSystem, type Reply, type SseStream, type SystemUnderTest } from '@webchat/test-harness';

let system: SystemUnderTest;
const streams: SseStream[] = [];
beforeAll(async () => {
  system = await startSystem({ accountCache: true, streams: { perHolder: 2 }, agentRateLimit: { requests: 40, windowSeconds: 60 } });
});
afterEach(() => {
  for (const stream of streams.splice(0)) stream.close();
});
afterAll(async () => {
  await system.stop();
});

const url = (path: string) => `${system.orchestratorUrl}${path}`;
const asAgent = (key: string) => ({ authorization: `Bearer ${key}` });
const asGuest = (token: string) => ({ ...browserHeaders(), authorization: `Bearer ${token}` });

function expectProblem(reply: Reply, status: number, code: string): void {
  expect({ status: reply.status, code: reply.body?.code }).toEqual({ status, code });
  expect(reply.headers.get('content-type')).toMatch(/application\/problem\+json/);
}

async function account() {
  const created = await system.createAccount();
  const agent = await system.addAgent(created.accountSid, 'Ada');
  return { ...created, agent };
}

async function guestConversation(deploymentKey: string, question?: string) {
  const minted = await call(url(WEBCHAT_TOKEN_PATH), { json: { deploymentKey }, headers: browserHeaders() });
  expect(minted.status).toBe(200);
  const created = await call(url(WEB_CHANNELS_PATH), {
    json: { customerFriendlyName: 'Grace', ...(question ? { preEngagementData: { question } } : {}) },
    headers: asGuest(minted.body.token),
  });
  expect(created.status).toBe(201);
  return { token: minted.body.token as string, conversationSid: created.body.conversationSid as string };
}

const guestPost = (token: string, sid: string, body: string) => call(url(`${WEB_CHANNELS_PATH}/${sid}/Messages`), { json: { body }, headers: asGuest(token) });
const agentPost = (key: string, sid: string, body: unknown) => call(url(`${CONVERSATIONS_PATH}/${sid}/Messages`), { json: body, headers: asAgent(key) });
const sse = async (path: string, headers: Record<string, string>) => {
  const stream = await openSse(url(path), headers);
  streams.push(stream);
  return stream;
};

describe('agent keys', () => {
  it('when no key, a malformed key or a deployment key is sent, then 401 agent_key_invalid and nothing is listed', async () => {
    const { deploymentKey } = await account();
    expectProblem(await call(url(CONVERSATIONS_PATH)), 401, 'agent_key_invalid');
    expectProblem(await call(url(CONVERSATIONS_PATH), { headers: asAgent('wk_nope') }), 401, 'agent_key_invalid');
    expectProblem(await call(url(CONVERSATIONS_PATH), { headers: asAgent(deploymentKey) }), 401, 'agent_key_invalid');
  });

  it('when an agent is removed, then its cached key stops working within a second and its messages keep its name', async () => {
    const { deploymentKey, agent } = await account();
    const { conversationSid } = await guestConversation(deploymentKey);
    expect((await agentPost(agent.key, conversationSid, { body: 'Hello from Ada' })).status).toBe(201);
    await system.agents.removeAgent(agent.agentSid);
    const deadline = Date.now() + 1000;
    let reply = await call(url(CONVERSATIONS_PATH), { headers: asAgent(agent.key) });
    while (reply.status === 200 && Date.now() < deadline) reply = await call(url(CONVERSATIONS_PATH), { headers: asAgent(agent.key) });
    expectProblem(reply, 401, 'agent_key_invalid');
    const { rows } = await system.db.query<{ author: string; author_name: string }>('SELECT author, author_name FROM messages WHERE conversation_sid = $1 AND author = $2', [conversationSid, 'agent']);
    expect(rows).toEqual([{ author: 'agent', author_name: 'Ada' }]);
  });

  it("when another account's agent asks for a conversation, then 404 and it cannot post or close it", async () => {
    const mine = await account();
    const theirs = await account();
    const { conversationSid } = await guestConversation(mine.deploymentKey);
    expectProblem(await call(url(`${CONVERSATIONS_PATH}/${conversationSid}`), { headers: asAgent(theirs.agent.key) }), 404, 'conversation_not_found');
    expectProblem(await agentPost(theirs.agent.key, conversationSid, { body: 'hi' }), 404, 'conversation_not_found');
    expectProblem(await call(url(`${CONVERSATIONS_PATH}/${conversationSid}/Close`), { method: 'POST', headers: asAgent(theirs.agent.key) }), 404, 'conversation_not_found');
    const list = await call(url(CONVERSATIONS_PATH), { headers: asAgent(theirs.agent.key) });
    expect(list.body.conversations).toEqual([]);
  });
});

describe('GET /v2/Conversations', () => {
  it('when there are three conversations, then pages of two come newest activity first with unread counts, and the cursor reaches the last', async () => {
    const { deploymentKey, agent } = await account();
    const first = await guestConversation(deploymentKey, 'First question');
    const second = await guestConversation(deploymentKey);
    const third = await guestConversation(deploymentKey);
    await guestPost(first.token, first.conversationSid, 'Anyone there?'); // first becomes the most recent
    const page1 = await call(url(`${CONVERSATIONS_PATH}?limit=2`), { headers: asAgent(agent.key) });
    expect(page1.status).toBe(200);
    expect(ConversationList.safeParse(page1.body).success).toBe(true);
    expect(page1.body.conversations.map((c: { conversationSid: string }) => c.conversationSid)).toEqual([first.conversationSid, third.conversationSid]);
    expect(page1.body.conversations[0]).toMatchObject({ unreadCount: 2, status: 'open', customerFriendlyName: 'Grace', lastMessage: { author: 'guest', body: 'Anyone there?' } });
    const page2 = await call(url(`${CONVERSATIONS_PATH}?limit=2&cursor=${page1.body.nextCursor}`), { headers: asAgent(agent.key) });
    expect(page2.body.conversations.map((c: { conversationSid: string }) => c.conversationSid)).toEqual([second.conversationSid]);
    expect(page2.body.nextCursor).toBeNull();
  });

  it('when an agent reads a conversation, then its unread count drops to zero; closed ones are filtered by status', async () => {
    const { deploymentKey, agent } = await account();
    const open = await guestConversation(deploymentKey, 'Help');
    const closed = await guestConversation(deploymentKey);
    const detail = await call(url(`${CONVERSATIONS_PATH}/${open.conversationSid}`), { headers: asAgent(agent.key) });
    expect(ConversationDetail.safeParse(detail.body).success).toBe(true);
    expect(detail.body.messages.map((m: { author: string; body: string }) => [m.author, m.body])).toEqual([
      ['system', expect.any(String)],
      ['guest', 'Help'],
    ]);
    expect((await call(url(`${CONVERSATIONS_PATH}/${closed.conversationSid}/Close`), { method: 'POST', headers: asAgent(agent.key) })).status).toBe(200);
    const openList = await call(url(`${CONVERSATIONS_PATH}?status=open`), { headers: asAgent(agent.key) });
    expect(openList.body.conversations).toEqual([expect.objectContaining({ conversationSid: open.conversationSid, unreadCount: 0 })]);
    const closedList = await call(url(`${CONVERSATIONS_PATH}?status=closed`), { headers: asAgent(agent.key) });
    expect(closedList.body.conversations).toEqual([expect.objectContaining({ conversationSid: closed.conversationSid, status: 'closed' })]);
  });

  it('when the query is bad, then 400 invalid_request naming the field', async () => {
    const { agent } = await account();
    for (const query of ['limit=0', 'limit=101', 'status=pending', 'cursor=not-ours', 'limit=abc', 'page=2']) {
      const reply = await call(url(`${CONVERSATIONS_PATH}?${query}`), { headers: asAgent(agent.key) });
      expectProblem(reply, 400, 'invalid_request');
    }
  });
});

describe('verified guest identity', () => {
  const conversationAs = async (deploymentKey: string, proof: { identityToken?: string }, customerFriendlyName: string) => {
    const minted = await call(url(WEBCHAT_TOKEN_PATH), { json: { deploymentKey, ...proof }, headers: browserHeaders() });
    expect(minted.status).toBe(200);
    const created = await call(url(WEB_CHANNELS_PATH), { json: { customerFriendlyName }, headers: asGuest(minted.body.token) });
    expect(created.status).toBe(201);
    return created.body.conversationSid as string;
  };

  it('when a guest came with a customer-signed identity token, then agents see its name and email as verified; a guest who only typed a name shows none', async () => {
    const { deploymentKey, accountSid, agent } = await account();
    const secret = await system.rotateIdentitySecret(accountSid);
    const identityToken = jwt.sign({ sub: 'user-4711', name: 'Ada Lovelace', email: 'ada@example.com' }, secret, { algorithm: 'HS256', audience: accountSid, expiresIn: 600 });
    const signed = await conversationAs(deploymentKey, { identityToken }, 'Ada typed');
    const anonymous = await conversationAs(deploymentKey, {}, 'Ada Lovelace');

    const detail = await call(url(`${CONVERSATIONS_PATH}/${signed}`), { headers: asAgent(agent.key) });
    expect(ConversationDetail.safeParse(detail.body).success).toBe(true);
    expect(detail.body).toMatchObject({ verifiedGuest: { name: 'Ada Lovelace', email: 'ada@example.com' }, customerFriendlyName: 'Ada typed' });
    const typedOnly = await call(url(`${CONVERSATIONS_PATH}/${anonymous}`), { headers: asAgent(agent.key) });
    expect(typedOnly.body).toMatchObject({ verifiedGuest: null, customerFriendlyName: 'Ada Lovelace' });

    const list = await call(url(CONVERSATIONS_PATH), { headers: asAgent(agent.key) });
    expect(ConversationList.safeParse(list.body).success).toBe(true);
    const verifiedBySid = Object.fromEntries(list.body.conversations.map((c: { conversationSid: string; verifiedGuest: unknown }) => [c.conversationSid, c.verifiedGuest]));
    expect(verifiedBySid).toEqual({ [signed]: { name: 'Ada Lovelace', email: 'ada@example.com' }, [anonymous]: null });
  });
});

describe('POST /v2/Conversations/{sid}/Messages and /Close', () => {
  it('when an agent replies, then 201 with its name, and the guest sees the reply with the name', async () => {
    const { deploymentKey, agent } = await account();
    const guest = await guestConversation(deploymentKey);
    const reply = await agentPost(agent.key, guest.conversationSid, { body: '  Hi Grace, Ada here.  ' });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ author: 'agent', authorName: 'Ada', agentSid: agent.agentSid, body: 'Hi Grace, Ada here.' });
    const transcript = await call(url(`${WEB_CHANNELS_PATH}/${guest.conversationSid}`), { headers: asGuest(guest.token) });
    expect(transcript.body.messages.at(-1)).toMatchObject({ author: 'agent', authorName: 'Ada', body: 'Hi Grace, Ada here.' });
  });

  it('when a bot replies, then its messages are authored "bot"', async () => {
    const { deploymentKey, accountSid } = await account();
    const bot = await system.addAgent(accountSid, 'Echo', 'bot');
    const guest = await guestConversation(deploymentKey);
    expect((await agentPost(bot.key, guest.conversationSid, { body: 'echo' })).body).toMatchObject({ author: 'bot', authorName: 'Echo' });
  });

  it('when the body is bad, then 400/413/415 and nothing is stored', async () => {
    const { deploymentKey, agent } = await account();
    const guest = await guestConversation(deploymentKey);
    expectProblem(await agentPost(agent.key, guest.conversationSid, { body: '   ' }), 400, 'invalid_request');
    expectProblem(await agentPost(agent.key, guest.conversationSid, { body: 'x', extra: 1 }), 400, 'invalid_request');
    expectProblem(await agentPost(agent.key, guest.conversationSid, { body: 'x'.repeat(4097) }), 400, 'invalid_request');
    expectProblem(await agentPost(agent.key, 'CHnope', { body: 'x' }), 400, 'invalid_request');
    expectProblem(await call(url(`${CONVERSATIONS_PATH}/${guest.conversationSid}/Messages`), { form: { body: 'x' }, headers: asAgent(agent.key) }), 415, 'unsupported_media_type');
    expectProblem(await call(url(`${CONVERSATIONS_PATH}/${guest.conversationSid}/Messages`), { raw: '{"body":', contentType: 'application/json', headers: asAgent(agent.key) }), 400, 'malformed_json');
    const { rows } = await system.db.query('SELECT 1 FROM messages WHERE conversation_sid = $1 AND author = $2', [guest.conversationSid, 'agent']);
    expect(rows).toHaveLength(0);
  });

  it('when a conversation is closed, then agents and the guest get 409 conversation_closed and closing again changes nothing', async () => {
    const { deploymentKey, agent } = await account();
    const guest = await guestConversation(deploymentKey);
    const closed = await call(url(`${CONVERSATIONS_PATH}/${guest.conversationSid}/Close`), { method: 'POST', headers: asAgent(agent.key) });
    expect(closed.body).toMatchObject({ status: 'closed', closedAt: expect.any(String) });
    expectProblem(await agentPost(agent.key, guest.conversationSid, { body: 'still there?' }), 409, 'conversation_closed');
    expectProblem(await guestPost(guest.token, guest.conversationSid, 'hello?'), 409, 'conversation_closed');
    const again = await call(url(`${CONVERSATIONS_PATH}/${guest.conversationSid}/Close`), { method: 'POST', headers: asAgent(agent.key) });
    expect(again.body.closedAt).toBe(closed.body.closedAt);
    const { rows } = await system.db.query('SELECT 1 FROM conversation_events WHERE conversation_sid = $1 AND type = $2', [guest.conversationSid, 'conversation.closed']);
    expect(rows).toHaveLength(1);
  });

  it('when an agent key goes over its request budget, then 429 rate_limited with Retry-After', async () => {
    const { agent } = await account();
    let last: Reply | undefined;
    for (let i = 0; i < 41; i += 1) last = await call(url(`${CONVERSATIONS_PATH}?limit=1`), { headers: asAgent(agent.key) });
    expectProblem(last!, 429, 'rate_limited');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('event streams', () => {
  it("when a guest writes and an agent replies and closes, then the account stream carries created, message and closed events of the account only", async () => {
    const { deploymentKey, agent } = await account();
    const other = await account();
    const stream = await sse(CONVERSATION_EVENTS_PATH, asAgent(agent.key));
    expect(stream.status).toBe(200);
    const guest = await guestConversation(deploymentKey);
    await guestConversation(other.deploymentKey);
    await guestPost(guest.token, guest.conversationSid, 'Hello, anyone there?');
    await agentPost(agent.key, guest.conversationSid, { body: 'Yes!' });
    await call(url(`${CONVERSATIONS_PATH}/${guest.conversationSid}/Close`), { method: 'POST', headers: asAgent(agent.key) });
    const events = await stream.waitFor((all) => all.some((e) => e.event === 'conversation.closed'));
    expect(events.map((e) => [e.event, e.data.data.author ?? null])).toEqual([
      ['conversation.created', null],
      ['message.created', 'system'],
      ['message.created', 'guest'],
      ['message.created', 'agent'],
      ['conversation.closed', null],
    ]);
    expect(events.every((e) => e.data.conversationSid === guest.conversationSid)).toBe(true);
    expect(events[3]?.data.data).toMatchObject({ authorName: 'Ada', agentSid: agent.agentSid, body: 'Yes!' });
  });

  it('when the guest stream opens, then it replays the conversation; live agent replies follow with increasing ids; Last-Event-ID resumes after it', async () => {
    const { deploymentKey, agent } = await account();
    const guest = await guestConversation(deploymentKey);
    const path = `${WEB_CHANNELS_PATH}/${guest.conversationSid}/Events`;
    const stream = await sse(path, asGuest(guest.token));
    expect(stream.status).toBe(200);
    expect(stream.headers.get('x-accel-buffering')).toBe('no');
    await agentPost(agent.key, guest.conversationSid, { body: 'one' });
    await agentPost(agent.key, guest.conversationSid, { body: 'two' });
    const events = await stream.waitFor((all) => all.filter((e) => e.data.data.author === 'agent').length === 2);
    // conversation.created (position 1) is not a guest event; the welcome is 2.
    expect(events.map((e) => [e.id, e.data.data.body])).toEqual([['2', expect.any(String)], ['3', 'one'], ['4', 'two']]);
    stream.close();
    await agentPost(agent.key, guest.conversationSid, { body: 'three' });
    const resumed = await sse(path, { ...asGuest(guest.token), 'last-event-id': '3' });
    const replayed = await resumed.waitFor((all) => all.length === 2);
    expect(replayed.map((e) => [e.id, e.data.data.body])).toEqual([['4', 'two'], ['5', 'three']]);
  });

  it('when the desk reconnects with Last-Event-ID, then it gets what it missed (repeats only inside the re-read window, same eventSid)', async () => {
    const { deploymentKey, agent } = await account();
    const guest = await guestConversation(deploymentKey);
    const first = await sse(CONVERSATION_EVENTS_PATH, asAgent(agent.key));
    await agentPost(agent.key, guest.conversationSid, { body: 'seen live' });
    const live = await first.waitFor((all) => all.some((e) => e.data.data.body === 'seen live'));
    const lastId = live.at(-1)!.id!;
    first.close();
    await agentPost(agent.key, guest.conversationSid, { body: 'missed one' });
    await agentPost(agent.key, guest.conversationSid, { body: 'missed two' });
    const resumed = await sse(CONVERSATION_EVENTS_PATH, { ...asAgent(agent.key), 'last-event-id': lastId });
    const replayed = await resumed.waitFor((all) => all.some((e) => e.data.data.body === 'missed two'));
    const unique = new Map(replayed.map((e) => [e.data.eventSid, e.data.data.body]));
    expect([...unique.values()].filter((body) => typeof body === 'string' && body.startsWith('missed'))).toEqual(['missed one', 'missed two']);
    expect(Number(replayed.at(-1)!.id)).toBeGreaterThan(Number(lastId));
  });

  it("when a guest asks for another guest's stream, sends a bad Last-Event-ID or opens too many, then 404, 400 and 429", async () => {
    const { deploymentKey } = await account();
    const mine = await guestConversation(deploymentKey);
    const theirs = await guestConversation(deploymentKey);
    const refused = await sse(`${WEB_CHANNELS_PATH}/${theirs.conversationSid}/Events`, asGuest(mine.token));
    expect([refused.status, refused.problem?.code]).toEqual([404, 'conversation_not_found']);
    const bad = await sse(`${WEB_CHANNELS_PATH}/${mine.conversationSid}/Events`, { ...asGuest(mine.token), 'last-event-id': 'abc' });
    expect([bad.status, bad.problem?.code]).toEqual([400, 'invalid_request']);
    const path = `${WEB_CHANNELS_PATH}/${mine.conversationSid}/Events`;
    await sse(path, asGuest(mine.token));
    await sse(path, asGuest(mine.token));
    const third = await sse(path, asGuest(mine.token));
    expect([third.status, third.problem?.code]).toEqual([429, 'rate_limited']);
    expect(third.headers.get('retry-after')).toBeTruthy();
    const noToken = await sse(path, browserHeaders());
    expect([noToken.status, noToken.problem?.code]).toEqual([401, 'token_invalid']);
  });

  it('when the orchestrator drains, then held streams end with a retry hint and new ones get 503 with Retry-After', async () => {
    const { deploymentKey, agent } = await account();
    const guest = await guestConversation(deploymentKey);
    const held = await sse(CONVERSATION_EVENTS_PATH, asAgent(agent.key));
    const guestHeld = await sse(`${WEB_CHANNELS_PATH}/${guest.conversationSid}/Events`, asGuest(guest.token));
    system.live.live.drain();
    await held.waitFor((all) => all.some((e) => e.event === 'reconnect'));
    await guestHeld.waitFor((all) => all.some((e) => e.event === 'reconnect'));
    await held.ended;
    const refused = await sse(CONVERSATION_EVENTS_PATH, asAgent(agent.key));
    expect([refused.status, refused.problem?.code]).toEqual([503, 'streams_unavailable']);
    expect(refused.headers.get('retry-after')).toBeTruthy();
  });
});
