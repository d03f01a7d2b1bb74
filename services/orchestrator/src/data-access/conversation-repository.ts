import { randomBytes } from 'node:crypto';
import type { Database } from './pool';

/** Plain objects the conversation repository returns; no pg types leak out of data-access. */

export type MessageAuthor = 'guest' | 'system';

export interface ConversationRecord {
  conversationSid: string;
  accountSid: string;
  identity: string;
  customerFriendlyName: string | null;
  preEngagementData: Record<string, unknown> | null;
  /** The first system message (the welcome), null when the conversation has none. */
  welcomeMessage: string | null;
  createdAt: Date;
}

export interface MessageRecord {
  messageSid: string;
  author: MessageAuthor;
  body: string;
  createdAt: Date;
}

/** Who may see a conversation: the account and the guest identity of the token. */
export interface ConversationOwner {
  accountSid: string;
  identity: string;
}

export interface NewConversation extends ConversationOwner {
  customerFriendlyName: string | null;
  preEngagementData: Record<string, unknown> | null;
  /** Stored in this order, in the same transaction as the conversation. */
  messages: Array<{ author: MessageAuthor; body: string }>;
}

export interface ConversationRepository {
  /** One transaction: the conversation and its first messages exist together or not at all. */
  createConversation(input: NewConversation): Promise<{ conversation: ConversationRecord; messages: MessageRecord[] }>;
  /** The owner's conversation with its latest `limit` messages (oldest first); null when it is not theirs or does not exist. */
  findConversation(sid: string, owner: ConversationOwner, limit: number): Promise<{ conversation: ConversationRecord; messages: MessageRecord[] } | null>;
  /** Appends a message to the owner's conversation; null when it is not theirs or does not exist. One statement. */
  addMessage(sid: string, owner: ConversationOwner, message: { author: MessageAuthor; body: string }): Promise<MessageRecord | null>;
}

interface ConversationRow {
  sid: string;
  account_sid: string;
  identity: string;
  customer_friendly_name: string | null;
  pre_engagement_data: Record<string, unknown> | null;
  welcome_message: string | null;
  created_at: Date;
}

interface MessageRow {
  sid: string;
  author: MessageAuthor;
  body: string;
  created_at: Date;
}

/** A conversation row joined with at most one message per row (LEFT JOIN: message columns may be null). */
type ConversationWithMessageRow = ConversationRow & {
  message_sid: string | null;
  message_author: MessageAuthor | null;
  message_body: string | null;
  message_created_at: Date | null;
};

export const newConversationSid = () => `CH${randomBytes(16).toString('hex')}`;
export const newMessageSid = () => `IM${randomBytes(16).toString('hex')}`;

const toConversation = (row: ConversationRow): ConversationRecord => ({
  conversationSid: row.sid,
  accountSid: row.account_sid,
  identity: row.identity,
  customerFriendlyName: row.customer_friendly_name,
  preEngagementData: row.pre_engagement_data,
  welcomeMessage: row.welcome_message,
  createdAt: row.created_at,
});

const toMessage = (row: MessageRow): MessageRecord => ({ messageSid: row.sid, author: row.author, body: row.body, createdAt: row.created_at });

const MESSAGE_COLUMNS = 'sid, author, body, created_at';

// One round trip: ownership, the welcome and the latest messages. No row at all means "not yours".
const CONVERSATION_WITH_MESSAGES = `
SELECT c.sid, c.account_sid, c.identity::text AS identity, c.customer_friendly_name, c.pre_engagement_data, c.created_at,
       (SELECT w.body FROM messages w WHERE w.conversation_sid = c.sid AND w.author = 'system' ORDER BY w.seq LIMIT 1) AS welcome_message,
       m.sid AS message_sid, m.author AS message_author, m.body AS message_body, m.created_at AS message_created_at
  FROM conversations c
  LEFT JOIN LATERAL (
    SELECT sid, author, body, created_at, seq FROM messages WHERE conversation_sid = c.sid ORDER BY seq DESC LIMIT $4
  ) m ON true
 WHERE c.sid = $1 AND c.account_sid = $2 AND c.identity = $3::uuid
 ORDER BY m.seq`;

// The conversation and its first messages in one statement; one row per message, in insertion order.
const CREATE_CONVERSATION_WITH_MESSAGES = `
WITH conversation AS (
  INSERT INTO conversations (sid, account_sid, identity, customer_friendly_name, pre_engagement_data)
  VALUES ($1, $2, $3::uuid, $4, $5::jsonb)
  RETURNING sid, account_sid, identity::text AS identity, customer_friendly_name, pre_engagement_data, created_at, NULL::text AS welcome_message
), inserted AS (
  INSERT INTO messages (sid, conversation_sid, author, body)
  SELECT m.sid, c.sid, m.author, m.body
    FROM conversation c, unnest($6::text[], $7::text[], $8::text[]) WITH ORDINALITY AS m (sid, author, body, position)
   ORDER BY m.position
  RETURNING sid, author, body, created_at, seq
)
SELECT c.*, m.sid AS message_sid, m.author AS message_author, m.body AS message_body, m.created_at AS message_created_at
  FROM conversation c LEFT JOIN inserted m ON true
 ORDER BY m.seq`;

/** The message columns of joined rows (a conversation without messages has one row of nulls). */
const messagesOf = (rows: ConversationWithMessageRow[]): MessageRecord[] =>
  rows.flatMap((row) =>
    row.message_sid === null || row.message_author === null || row.message_body === null || row.message_created_at === null
      ? []
      : [{ messageSid: row.message_sid, author: row.message_author, body: row.message_body, createdAt: row.message_created_at }],
  );

export function createConversationRepository(db: Database): ConversationRepository {
  return {
    async createConversation(input) {
      const sid = newConversationSid();
      const messageSids = input.messages.map(() => newMessageSid());
      // One statement (atomic on its own) instead of BEGIN, one INSERT per row and COMMIT: WebChannels'
      // busiest write made five round trips. Messages are inserted in the order given, so seq follows it.
      const { rows } = await db.query<ConversationWithMessageRow>(CREATE_CONVERSATION_WITH_MESSAGES, [
        sid,
        input.accountSid,
        input.identity,
        input.customerFriendlyName,
        input.preEngagementData === null ? null : JSON.stringify(input.preEngagementData),
        messageSids,
        input.messages.map((message) => message.author),
        input.messages.map((message) => message.body),
      ]);
      const first = rows[0];
      if (!first) throw new Error('INSERT INTO conversations returned no row');
      const messages = messagesOf(rows);
      if (messages.length !== input.messages.length) throw new Error('INSERT INTO messages did not store every message');
      const welcome = input.messages.find((message) => message.author === 'system')?.body ?? null;
      return { conversation: { ...toConversation(first), welcomeMessage: welcome }, messages };
    },

    async findConversation(sid, owner, limit) {
      const { rows } = await db.query<ConversationWithMessageRow>(CONVERSATION_WITH_MESSAGES, [sid, owner.accountSid, owner.identity, limit]);
      const first = rows[0];
      if (!first) return null;
      return { conversation: toConversation(first), messages: messagesOf(rows) };
    },

    async addMessage(sid, owner, message) {
      const { rows } = await db.query<MessageRow>(
        `INSERT INTO messages (sid, conversation_sid, author, body)
         SELECT $1, c.sid, $5, $6 FROM conversations c WHERE c.sid = $2 AND c.account_sid = $3 AND c.identity = $4::uuid
         RETURNING ${MESSAGE_COLUMNS}`,
        [newMessageSid(), sid, owner.accountSid, owner.identity, message.author, message.body],
      );
      return rows[0] ? toMessage(rows[0]) : null;
    },
  };
}
