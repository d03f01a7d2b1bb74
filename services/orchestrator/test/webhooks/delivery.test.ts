import { Webhook } from 'standardwebhooks';
import { addEndpoint, createWorld, eventually, openConversation, startDispatcher, startReceiver, type Dispatcher, type World } from './support';

let world: World;
let dispatcher: Dispatcher;
const receivers: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  world = await createWorld();
  dispatcher = await startDispatcher(world.testDb.url);
}, 40_000);

afterAll(async () => {
  await dispatcher?.kill();
  for (const receiver of receivers) await receiver.close();
  await world?.close();
});

const receiver = async (...args: Parameters<typeof startReceiver>) => {
  const started = await startReceiver(...args);
  receivers.push(started);
  return started;
};

describe('webhook delivery (real dispatcher, real Postgres, receiver on loopback)', () => {
  it('when a guest writes a message, then the receiver gets one delivery it verifies with the Standard Webhooks library', async () => {
    const hook = await receiver();
    const { id: endpointId, secret } = await addEndpoint(world, hook.url, ['--events', 'message.created']);
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
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(delivery!.body, delivery!.headers as Record<string, string>)).toThrow();

    const deliveries = await world.admin('webhooks', 'deliveries', world.accountSid, '--json');
    expect(JSON.parse(deliveries.stdout)).toEqual([expect.objectContaining({ endpointId, eventId: delivery!.headers['webhook-id'], statusCode: 200, outcome: 'delivered' })]);
    await world.admin('webhooks', 'remove', endpointId);
  });

  it('when the receiver answers 500 twice then 200, then it is delivered and every attempt carries the same webhook-id', async () => {
    const hook = await receiver((_request, index) => (index < 2 ? 500 : 200));
    const { id: endpointId } = await addEndpoint(world, hook.url, ['--events', 'message.created']);
    const conversation = await openConversation(world);
    await conversation.say('retry me');

    await eventually(() => hook.received.length >= 3, 'three attempts');
    const ids = hook.received.map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(1);
    const attempts = JSON.parse((await world.admin('webhooks', 'deliveries', world.accountSid, '--json')).stdout) as Array<{ endpointId: string; statusCode: number; outcome: string; attempt: number }>;
    expect(attempts.filter((a) => a.endpointId === endpointId).map((a) => [a.attempt, a.statusCode, a.outcome])).toEqual([
      [1, 500, 'retry'],
      [2, 500, 'retry'],
      [3, 200, 'delivered'],
    ]);
    await world.admin('webhooks', 'remove', endpointId);
  });

  it('when the receiver is down for a while and then back, then every event arrives, in order per conversation', async () => {
    let down = true;
    const hook = await receiver(() => (down ? 503 : 200));
    const { id: endpointId } = await addEndpoint(world, hook.url);
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
    await world.admin('webhooks', 'remove', endpointId);
  }, 60_000);

  it('when a message transaction rolls back, then no event is delivered', async () => {
    const hook = await receiver();
    const { id: endpointId } = await addEndpoint(world, hook.url, ['--events', 'message.created']);
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
    await world.admin('webhooks', 'remove', endpointId);
  });
});
