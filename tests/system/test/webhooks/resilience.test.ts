import { createWorld, endpointsOf, eventually, openConversation, startDispatcher, startReceiver, type Dispatcher, type World } from './support';

let world: World;
let endpoints: ReturnType<typeof endpointsOf>;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  world = await createWorld();
  endpoints = endpointsOf(world);
}, 90_000);

// Each test's dispatchers, endpoints and receivers end with it, passed or failed: a dispatcher or an endpoint left
// running would take part in (and be counted by) the next test.
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  await endpoints?.removeAll();
});

afterAll(async () => {
  await world?.close();
});

const dispatcher = async (env: Record<string, string> = {}): Promise<Dispatcher> => {
  const started = await startDispatcher(world.testDb.url, env);
  cleanups.push(() => started.kill('SIGKILL'));
  return started;
};
const receiver = async (...args: Parameters<typeof startReceiver>) => {
  const started = await startReceiver(...args);
  cleanups.push(() => started.close());
  return started;
};
const eventIdsOf = async (conversationSids: string[]) =>
  (await world.db.query<{ event_sid: string }>('SELECT event_sid FROM conversation_events WHERE conversation_sid = ANY ($1)', [conversationSids])).rows.map((r) => r.event_sid);

describe('webhook delivery under failure (real dispatcher processes)', () => {
  it('when one of two dispatcher replicas is SIGKILLed mid-batch and started again, then nothing is lost, order holds, and duplicates keep their id', async () => {
    const hook = await receiver(async () => {
      await new Promise((resolve) => setTimeout(resolve, 15)); // a receiver that takes a moment, so the kill lands mid-batch
      return 200;
    });
    await endpoints.add(hook.url);
    const [replicaA] = await Promise.all([dispatcher(), dispatcher()]); // replica B keeps running throughout
    const conversations = await Promise.all(Array.from({ length: 6 }, () => openConversation(world)));
    const writing = (async () => {
      for (let i = 0; i < 25; i += 1) for (const conversation of conversations) await conversation.say(`m${i}`);
    })();
    await eventually(() => hook.received.length >= 40 && replicaA.logs().includes('webhook attempt'), 'replica A in the middle of the batch', 60_000);
    await replicaA.kill('SIGKILL');
    const restarted = await dispatcher();
    await writing;

    const expected = await eventIdsOf(conversations.map((c) => c.sid));
    expect(expected).toHaveLength(6 * 26);
    await eventually(() => new Set(hook.accepted().map((e) => e.id)).size === expected.length, 'every event delivered', 60_000);
    expect(new Set(hook.accepted().map((e) => e.id))).toEqual(new Set(expected));

    // Duplicates (a kill between the receiver's 200 and the commit) carry the same id and the same body.
    const bodyById = new Map<string, string>();
    for (const request of hook.received) {
      const id = String(request.headers['webhook-id']);
      expect(JSON.parse(request.body).id).toBe(id);
      if (bodyById.has(id)) expect(request.body).toBe(bodyById.get(id));
      bodyById.set(id, request.body);
    }
    // First receipt of each event is in conversation order.
    for (const conversation of conversations) {
      const firsts: string[] = [];
      for (const event of hook.accepted()) if (event.data.conversationSid === conversation.sid && !firsts.includes(event.id)) firsts.push(event.id);
      const bodies = firsts.map((id) => JSON.parse(bodyById.get(id)!) as { type: string; data: { body?: string } }).map((e) => e.data.body ?? e.type);
      expect(bodies).toEqual(['conversation.created', ...Array.from({ length: 25 }, (_, i) => `m${i}`)]);
    }
    void restarted;
  }, 300_000);

  it('when one endpoint hangs, then another endpoint gets every event before the hanging one has timed out even once', async () => {
    const hanging = await receiver(() => 'hang');
    const healthy = await receiver();
    const { id: hangingId } = await endpoints.add(hanging.url);
    await endpoints.add(healthy.url);
    // A 20 s receiver timeout (production: 5 s), so "before it timed out" does not depend on how fast a loaded CI
    // machine serves the healthy endpoint; the hanging one still holds its slots the whole time.
    const active = await dispatcher({ WEBHOOK_TIMEOUT_MS: '20000' });
    const conversations = await Promise.all(Array.from({ length: 8 }, () => openConversation(world)));
    for (const conversation of conversations) await conversation.say('hello');

    await eventually(() => new Set(healthy.accepted().map((e) => e.id)).size === 16, 'the healthy endpoint served', 18_000);
    const hangingAttempts = await world.db.query('SELECT 1 FROM webhook_attempts WHERE endpoint_id = $1', [hangingId]);
    expect(hanging.received.length).toBeGreaterThan(0);
    expect(hangingAttempts.rowCount).toBe(0); // none of its attempts has finished (timed out) yet
    await active.kill('SIGKILL');
  }, 150_000); // starting the dispatcher alone may take up to a minute on a loaded CI machine

  it('when a receiver keeps failing past the retry horizon, then the event is marked failed and listed by deliveries --failed', async () => {
    const hook = await receiver(() => 500);
    const { id: endpointId } = await endpoints.add(hook.url, ['--events', 'message.created']);
    // 5 s: with retries at most 1 s apart there are several attempts even when a loaded machine makes the first late.
    const active = await dispatcher({ WEBHOOK_RETRY_HORIZON_SECONDS: '5' });
    await (await openConversation(world)).say('nobody listens');
    await eventually(async () => {
      const failed = await world.admin('webhooks', 'deliveries', world.accountSid, '--failed', '--json');
      return (JSON.parse(failed.stdout) as Array<{ endpointId: string; deliveryStatus: string }>).some((a) => a.endpointId === endpointId && a.deliveryStatus === 'failed');
    }, 'the delivery marked failed', 20_000);
    const attemptsSoFar = hook.received.length;
    expect(attemptsSoFar).toBeGreaterThan(1);
    const listed = await world.admin('webhooks', 'deliveries', world.accountSid, '--failed');
    expect(listed.stdout).toContain(endpointId);
    expect(listed.stdout).not.toContain('nobody listens'); // never the body
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(hook.received.length).toBe(attemptsSoFar); // given up: no more attempts
    await active.kill('SIGKILL');
  }, 150_000);
});
