import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { TEMPLATE_ENV, createTestDatabase, type TestDatabase } from '@webchat/testkit';
import { createAccountRepository } from '../src/data-access/account-repository';
import { createConversationRepository, type ConversationRepository } from '../src/data-access/conversation-repository';
import { migrateUp } from '../src/data-access/migrate';
import { createDatabase, type Database } from '../src/data-access/pool';

let testDb: TestDatabase;
let db: Database;
let conversations: ConversationRepository;
let accountSid: string;

beforeAll(async () => {
  testDb = await createTestDatabase();
  if (!process.env[TEMPLATE_ENV]) await migrateUp(testDb.url);
  db = createDatabase({ connectionString: testDb.url, max: 8, connectTimeoutMs: 2000, statementTimeoutMs: 5000 });
  conversations = createConversationRepository(db);
  ({ accountSid } = await createAccountRepository(db).createAccount({ friendlyName: 'Events Ltd' }));
});

afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

interface EventRow { position: string; type: string; data: Record<string, unknown> }
const eventsOf = async (conversationSid: string) =>
  (await db.query<EventRow>('SELECT position, type, data FROM conversation_events WHERE conversation_sid = $1 ORDER BY position', [conversationSid])).rows;

const open = (identity = randomUUID()) =>
  conversations.createConversation({ accountSid, identity, customerFriendlyName: 'Ada', preEngagementData: null, messages: [{ author: 'system', body: 'Welcome' }] });

describe('conversation event log', () => {
  it('when a conversation opens with a welcome, then its events are conversation.created then message.created at positions 1 and 2', async () => {
    const { conversation } = await open();
    const events = await eventsOf(conversation.conversationSid);
    expect(events.map((event) => [Number(event.position), event.type])).toEqual([[1, 'conversation.created'], [2, 'message.created']]);
    expect(events[1]?.data).toMatchObject({ author: 'system', body: 'Welcome', conversationSid: conversation.conversationSid });
  });

  it('when guests post concurrently, then every stored message has exactly one event and positions have no gaps', async () => {
    const identity = randomUUID();
    const { conversation } = await open(identity);
    const owner = { accountSid, identity };
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => conversations.addGuestMessage(conversation.conversationSid, owner, `m${i}`, { messages: 15, windowSeconds: 60 })),
    );
    const stored = results.filter((result) => result.outcome === 'stored').length;
    expect(stored).toBe(15);
    const events = await eventsOf(conversation.conversationSid);
    expect(events.map((event) => Number(event.position))).toEqual(Array.from({ length: 2 + stored }, (_, i) => i + 1));
    expect(events.filter((event) => event.type === 'message.created' && event.data.author === 'guest')).toHaveLength(stored);
  });

  it('when a write rolls back, then no event is left and no notification is sent', async () => {
    const { conversation } = await open();
    const listener = new Client({ connectionString: testDb.url });
    await listener.connect();
    const notified: string[] = [];
    listener.on('notification', (message) => notified.push(message.payload ?? ''));
    await listener.query('LISTEN conversation_events');
    try {
      const writer = new Client({ connectionString: testDb.url });
      await writer.connect();
      await writer.query('BEGIN');
      await writer.query("SELECT append_conversation_event($1, 'message.created', '{}'::jsonb)", [conversation.conversationSid]);
      await writer.query('ROLLBACK');
      await writer.query("SELECT append_conversation_event($1, 'conversation.updated', '{}'::jsonb)", [conversation.conversationSid]);
      await writer.end();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const events = await eventsOf(conversation.conversationSid);
      expect(events.map((event) => [Number(event.position), event.type])).toEqual([[1, 'conversation.created'], [2, 'message.created'], [3, 'conversation.updated']]);
      expect(notified.map((payload) => JSON.parse(payload))).toEqual([
        expect.objectContaining({ accountSid, conversationSid: conversation.conversationSid, position: 3 }),
      ]);
    } finally {
      await listener.end();
    }
  });
});
