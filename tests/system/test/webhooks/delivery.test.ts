import { Webhook } from 'standardwebhooks';
import { WebhookEvent } from '@webchat/contracts';
import { OpenApiChecker, type OpenApiDoc } from '@webchat/testkit';
import { orchestratorOpenApi } from '@webchat/orchestrator/src/app';
import { createAgentRepository } from '@webchat/orchestrator/src/data-access/agent-repository';
import { createInboxRepository } from '@webchat/orchestrator/src/data-access/inbox-repository';
import { createWorld, endpointsOf, eventually, openConversation, startDispatcher, startReceiver, type Dispatcher, type World } from './support';

let world: World;
let dispatcher: Dispatcher;
let endpoints: ReturnType<typeof endpointsOf>;
const receivers: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  world = await createWorld();
  endpoints = endpointsOf(world);
  dispatcher = await startDispatcher(world.testDb.url);
}, 90_000);

// Whatever a test's outcome, its endpoints and receivers are gone before the next one counts deliveries.
afterEach(async () => {
  await endpoints?.removeAll();
  for (const receiver of receivers.splice(0)) await receiver.close();
});

afterAll(async () => {
  await dispatcher?.kill();
  await world?.close();
});

interface Attempt { endpointId: string; eventId: string; statusCode: number; outcome: string; attempt: number }
/** An endpoint's attempts once `count` are recorded: a receiver has the request before its attempt is committed. */
async function recordedAttempts(endpointId: string, count: number): Promise<Attempt[]> {
  let attempts: Attempt[] = [];
  await eventually(async () => {
    attempts = (JSON.parse((await world.admin('webhooks', 'deliveries', world.accountSid, '--json')).stdout) as Attempt[]).filter((a) => a.endpointId === endpointId);
    return attempts.length >= count;
  }, `${count} recorded attempts`);
  return attempts;
}

const receiver = async (...args: Parameters<typeof startReceiver>) => {
  const started = await startReceiver(...args);
  receivers.push(started);
  return started;
};

describe('webhook delivery (real dispatcher, real Postgres, receiver on loopback)', () => {
  it('when a guest writes a message, then the receiver gets one delivery it verifies with the Standard Webhooks library', async () => {
    const hook = await receiver();
    const { id: endpointId, secret } = await endpoints.add(hook.url, ['--events', 'message.created']);
    const conversation = await openConversation(world);
    await conversation.say('hello there');

    await eventually(() => hook.received.length >= 1, 'the delivery');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(hook.received).toHaveLength(1);
    const [delivery] = hook.received;
    const verified = new Webhook(secret).verify(delivery!.body, delivery!.headers as Record<string, string>) as Record<string, unknown>;
    expect(verified).toEqual({
      id: delivery!.headers['webhook-id'],
      type: 'message.created',
      createdAt: expect.any(String),
      accountSid: world.accountSid,
      data: expect.objectContaining({ conversationSid: conversation.sid, author: 'guest', body: 'hello there' }),
    });
    expect(delivery!.headers['webhook-id']).toMatch(/^EV[0-9a-f]{32}$/);
    expect(() => WebhookEvent.parse(verified)).not.toThrow(); // the shape the OpenAPI description documents
    expect(Object.keys(orchestratorOpenApi().webhooks ?? {})).toEqual(['conversation.created', 'message.created', 'conversation.closed']);
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(delivery!.body, delivery!.headers as Record<string, string>)).toThrow();

    expect(await recordedAttempts(endpointId, 1)).toEqual([expect.objectContaining({ endpointId, eventId: delivery!.headers['webhook-id'], statusCode: 200, outcome: 'delivered' })]);
  });

  it('when the receiver answers 500 twice then 200, then it is delivered and every attempt carries the same webhook-id', async () => {
    const hook = await receiver((_request, index) => (index < 2 ? 500 : 200));
    const { id: endpointId } = await endpoints.add(hook.url, ['--events', 'message.created']);
    const conversation = await openConversation(world);
    await conversation.say('retry me');

    await eventually(() => hook.received.length >= 3, 'three attempts');
    const ids = hook.received.map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(1);
    expect((await recordedAttempts(endpointId, 3)).map((a) => [a.attempt, a.statusCode, a.outcome])).toEqual([
      [1, 500, 'retry'],
      [2, 500, 'retry'],
      [3, 200, 'delivered'],
    ]);
  });

  it('when the receiver is down for a while and then back, then every event arrives, in order per conversation', async () => {
    let down = true;
    const hook = await receiver(() => (down ? 503 : 200));
    await endpoints.add(hook.url);
    const a = await openConversation(world);
    const b = await openConversation(world);
    for (let i = 0; i < 5; i += 1) {
      await a.say(`a${i}`);
      await b.say(`b${i}`);
    }
    await eventually(() => hook.received.length >= 4, 'failed attempts while the receiver is down');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    down = false;

    await eventually(() => new Set(hook.accepted().map((e) => e.id)).size === 12, 'all 12 events (2 openings, 10 messages) accepted', 30_000);
    for (const [conversation, prefix] of [[a, 'a'], [b, 'b']] as const) {
      const seen = hook.accepted().filter((e) => e.data.conversationSid === conversation.sid);
      expect(seen.map((e) => (e.type === 'message.created' ? e.data.body : e.type))).toEqual(['conversation.created', ...[0, 1, 2, 3, 4].map((i) => `${prefix}${i}`)]);
    }
  }, 60_000);

  it('when a guest, an agent and a bot write and the agent closes the conversation, then every delivered event is exactly what the OpenAPI webhooks section documents', async () => {
    const hook = await receiver();
    await endpoints.add(hook.url);
    const agents = createAgentRepository(world.db);
    const ada = await agents.addAgent({ accountSid: world.accountSid, friendlyName: 'Ada', kind: 'agent' });
    const echo = await agents.addAgent({ accountSid: world.accountSid, friendlyName: 'Echo', kind: 'bot' });
    const inbox = createInboxRepository(world.db);
    const conversation = await openConversation(world);
    await conversation.say('hello');
    expect((await inbox.addAgentMessage(ada, conversation.sid, 'Ada here')).outcome).toBe('stored');
    expect((await inbox.addAgentMessage(echo, conversation.sid, 'Echo: hello')).outcome).toBe('stored');
    expect((await inbox.closeConversation(ada, conversation.sid)).outcome).toBe('closed');

    await eventually(() => hook.accepted().length >= 5, 'the five events of the conversation');
    const events = hook.accepted();
    expect(events.map((e) => [e.type, e.data.author ?? null])).toEqual([
      ['conversation.created', null], ['message.created', 'guest'], ['message.created', 'agent'], ['message.created', 'bot'], ['conversation.closed', null],
    ]);
    // The document the orchestrator serves: strict (additionalProperties: false, every field required), so a
    // field missing from an event or sent without being documented fails here.
    const documented = OpenApiChecker.of(orchestratorOpenApi() as unknown as OpenApiDoc);
    for (const event of events) expect(() => documented.checkWebhook(event.type, event)).not.toThrow();
    expect(events[2]!.data).toMatchObject({ author: 'agent', authorName: 'Ada', agentSid: ada.agentSid });
    expect(events[1]!.data).toMatchObject({ author: 'guest', authorName: null, agentSid: null });
    expect(events[4]!.data).toEqual({
      conversationSid: conversation.sid, accountSid: world.accountSid, closedAt: expect.any(String),
      closedBy: { kind: 'agent', agentSid: ada.agentSid, name: 'Ada' },
    });
    const { authorName: _dropped, ...withoutAuthorName } = events[2]!.data;
    expect(() => documented.checkWebhook('message.created', { ...events[2], data: withoutAuthorName })).toThrow(/authorName/);
    expect(() => documented.checkWebhook('conversation.closed', { ...events[4], data: { ...events[4]!.data, reason: 'spam' } })).toThrow(/additional/);
    for (const event of events) expect(() => WebhookEvent.parse(event)).not.toThrow(); // the zod schema it is generated from agrees
  });

  it('when another transaction holds a conversation\'s head while its wake-up runs (a replica that then fails), then the delivery goes out soon after that transaction ends, not at the 30 s sweep', async () => {
    const hook = await receiver();
    const { id: endpointId } = await endpoints.add(hook.url, ['--events', 'message.created']);
    const conversation = await openConversation(world);
    expect((await world.admin('webhooks', 'disable', endpointId)).code).toBe(0);
    await conversation.say('held');
    const jobKey = `webhook:${endpointId}:${conversation.sid}`;
    const holder = await world.db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'pending' FOR UPDATE`, [endpointId]);
      expect((await world.admin('webhooks', 'enable', endpointId)).code).toBe(0); // the wake-up, which finds the head locked
      await eventually(async () => {
        const { rows } = await world.db.query<{ due: number }>(
          'SELECT count(*)::int AS due FROM graphile_worker.jobs WHERE key = $1 AND (locked_at IS NOT NULL OR run_at <= now())', [jobKey]);
        return rows[0]!.due === 0;
      }, 'the wake-up to have run while the head was held');
      expect(hook.received).toHaveLength(0);
    } finally {
      await holder.query('ROLLBACK'); // the holder ends without having scheduled anything
      holder.release();
    }
    await eventually(() => hook.received.length >= 1, 'the held delivery after its holder ended', 10_000);
    expect(hook.events().map((e) => e.data.body)).toEqual(['held']);
  });

  it('when a message transaction rolls back, then no event is delivered', async () => {
    const hook = await receiver();
    await endpoints.add(hook.url, ['--events', 'message.created']);
    const conversation = await openConversation(world);
    const client = await world.db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO messages (sid, conversation_sid, author, body) VALUES ('IM' || replace(gen_random_uuid()::text, '-', ''), $1, 'guest', 'never')`, [conversation.sid]);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    await conversation.say('committed');
    await eventually(() => hook.received.length >= 1, 'the committed message');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(hook.events().map((e) => e.data.body)).toEqual(['committed']);
  });
});

describe('webhook delivery: what the operator controls', () => {
  it('when the receiver answers a redirect, then it is not followed: the other address gets nothing and the attempt counts as failed', async () => {
    const target = await receiver();
    const hook = await receiver(() => ({ status: 307, headers: { location: target.url } }));
    const { id: endpointId } = await endpoints.add(hook.url, ['--events', 'message.created']);
    await (await openConversation(world)).say('redirect me');
    await eventually(() => hook.received.length >= 2, 'two attempts');
    expect(target.received).toHaveLength(0);
    expect((await recordedAttempts(endpointId, 2)).slice(0, 2)).toEqual([
      expect.objectContaining({ statusCode: 307, outcome: 'retry' }),
      expect.objectContaining({ statusCode: 307, outcome: 'retry' }),
    ]);
  });

  it('when the secret is rotated, then deliveries carry both signatures during the overlap and only the new one after it', async () => {
    const hook = await receiver();
    const { id: endpointId, secret: oldSecret } = await endpoints.add(hook.url, ['--events', 'message.created']);
    const conversation = await openConversation(world);
    const rotated = await world.admin('webhooks', 'rotate-secret', endpointId, '--overlap-seconds', '3', '--json');
    const newSecret = (JSON.parse(rotated.stdout) as { secret: string }).secret;
    // At rest both are sealed (IDENTITY_SECRETS_KEY): the row holds neither, in any form the CLI printed.
    const row = (await world.db.query<{ text: string }>('SELECT row_to_json(w)::text AS text FROM webhook_endpoints w WHERE id = $1', [endpointId])).rows[0]!.text;
    for (const secret of [oldSecret, newSecret]) expect(row).not.toContain(secret.slice('whsec_'.length, 'whsec_'.length + 16));
    expect(JSON.parse(row)).toMatchObject({ secret: null, previous_secret: null });
    await conversation.say('during the overlap');
    await eventually(() => hook.received.length >= 1, 'the overlap delivery');
    const during = hook.received[0]!;
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [oldSecret, newSecret]) expect(() => new Webhook(secret).verify(during.body, during.headers as Record<string, string>)).not.toThrow();

    await new Promise((resolve) => setTimeout(resolve, 3200));
    await conversation.say('after the overlap');
    await eventually(() => hook.received.length >= 2, 'the delivery after the overlap');
    const after = hook.received[1]!;
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(() => new Webhook(newSecret).verify(after.body, after.headers as Record<string, string>)).not.toThrow();
    expect(() => new Webhook(oldSecret).verify(after.body, after.headers as Record<string, string>)).toThrow();
  });

  it('when an endpoint was stored with its secret in clear (before secrets were sealed), then webchat-admin migrate seals it and deliveries still verify with it', async () => {
    const hook = await receiver();
    const { id: endpointId } = await endpoints.add(hook.url, ['--events', 'message.created']);
    const legacySecret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
    await world.db.query('UPDATE webhook_endpoints SET secret = $2, secret_sealed = NULL WHERE id = $1', [endpointId, legacySecret]);

    const migrated = await world.admin('migrate');
    expect(migrated.code).toBe(0);
    expect(migrated.stderr).toContain('sealed the signing secrets of 1 webhook endpoint(s)');
    const row = (await world.db.query<{ text: string }>('SELECT row_to_json(w)::text AS text FROM webhook_endpoints w WHERE id = $1', [endpointId])).rows[0]!.text;
    expect(row).not.toContain(legacySecret.slice('whsec_'.length));

    await (await openConversation(world)).say('still signed');
    await eventually(() => hook.received.length >= 1, 'the delivery');
    const [delivery] = hook.received;
    expect(() => new Webhook(legacySecret).verify(delivery!.body, delivery!.headers as Record<string, string>)).not.toThrow();
  });

  it('when an event is replayed (by id, or a conversation since a time), then it is sent again with the same webhook-id and body', async () => {
    const hook = await receiver();
    await endpoints.add(hook.url);
    const conversation = await openConversation(world);
    await conversation.say('one');
    await conversation.say('two');
    await eventually(() => hook.received.length >= 3, 'the first deliveries');
    const first = hook.received[1]!;
    const eventId = String(first.headers['webhook-id']);

    const replayed = await world.admin('webhooks', 'replay', eventId);
    expect(replayed).toMatchObject({ code: 0, stdout: '1 deliveries queued again (same event ids)' });
    await eventually(() => hook.received.length >= 4, 'the replay');
    expect(hook.received[3]!.headers['webhook-id']).toBe(eventId);
    expect(hook.received[3]!.body).toBe(first.body);

    expect((await world.admin('webhooks', 'replay', conversation.sid, '--since', '1h')).stdout).toBe('3 deliveries queued again (same event ids)');
    await eventually(() => hook.received.length >= 7, 'the conversation replay');
    expect(hook.received.slice(4).map((r) => r.headers['webhook-id'])).toEqual(hook.received.slice(0, 3).map((r) => r.headers['webhook-id']));
  });

  it('when the receiver answers 410 Gone, then the endpoint is disabled and later events are kept, not sent', async () => {
    const hook = await receiver(() => 410);
    const { id: endpointId } = await endpoints.add(hook.url, ['--events', 'message.created']);
    const conversation = await openConversation(world);
    await conversation.say('are you there');
    await eventually(async () => (await world.admin('webhooks', 'list', world.accountSid)).stdout.includes(`${endpointId}  disabled (410 Gone)`), 'the endpoint disabled');
    await conversation.say('still there?');
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(hook.received).toHaveLength(1);
    const attempts = JSON.parse((await world.admin('webhooks', 'deliveries', world.accountSid, '--json')).stdout) as Array<{ endpointId: string; statusCode: number; outcome: string }>;
    expect(attempts.filter((a) => a.endpointId === endpointId)).toEqual([expect.objectContaining({ statusCode: 410, outcome: 'gone' })]);
  });

  it('when an endpoint is disabled and enabled again, then what happened meanwhile is delivered in order', async () => {
    const hook = await receiver();
    const { id: endpointId } = await endpoints.add(hook.url, ['--events', 'message.created']);
    const conversation = await openConversation(world);
    expect((await world.admin('webhooks', 'disable', endpointId)).code).toBe(0);
    await conversation.say('x1');
    await conversation.say('x2');
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(hook.received).toHaveLength(0);
    expect((await world.admin('webhooks', 'enable', endpointId)).code).toBe(0);
    await eventually(() => hook.received.length >= 2, 'the kept events');
    expect(hook.events().map((e) => e.data.body)).toEqual(['x1', 'x2']);
  });
});
