import { randomBytes } from 'node:crypto';
import type { Database } from './pool';

import type {
  AddMessageResult,
  ConversationOwner,
  ConversationRecord,
  ConversationRepository,
  MessageAuthor,
  MessageRateLimit,
  MessageRecord,
  NewConversation,
} from '../domain/conversation-store';

export type * from '../domain/conversation-store';

interface ConversationRow {
  sid: string;
  account_sid: string;
  identity: string;
  customer_friendly_name: string | null;
  pre_engagement_data: Record<string, unknown> | null;
  verified_guest: { name?: string; email?: string } | null;
  welcome_message: string | null;
  created_at: Date;
}

interface MessageRow {
  sid: string;
  author: MessageAuthor;
  author_name: string | null;
  body: string;
  created_at: Date;
}

/** A conversation row joined with at most one message per row (LEFT JOIN: message columns may be null). */
type ConversationWithMessageRow = ConversationRow & {
  message_sid: string | null;
  message_author: MessageAuthor | null;
  message_author_name: string | null;
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
  verifiedGuest: row.verified_guest,
  welcomeMessage: row.welcome_message,
  createdAt: row.created_at,
});

const toMessage = (row: MessageRow): MessageRecord => ({ messageSid: row.sid, author: row.author, authorName: row.author_name, body: row.body, createdAt: row.created_at });

const MESSAGE_COLUMNS = 'sid, author, author_name, body, created_at';

// One round trip: ownership, the welcome and the latest messages. No row at all means "not yours".
const CONVERSATION_WITH_MESSAGES = `
SELECT c.sid, c.account_sid, c.identity::text AS identity, c.customer_friendly_name, c.pre_engagement_data, c.verified_guest, c.created_at,
       (SELECT w.body FROM messages w WHERE w.conversation_sid = c.sid AND w.author = 'system' ORDER BY w.seq LIMIT 1) AS welcome_message,
       m.sid AS message_sid, m.author AS message_author, m.author_name AS message_author_name, m.body AS message_body, m.created_at AS message_created_at
  FROM conversations c
  LEFT JOIN LATERAL (
    SELECT sid, author, author_name, body, created_at, seq FROM messages WHERE conversation_sid = c.sid ORDER BY seq DESC LIMIT $4
  ) m ON true
 WHERE c.sid = $1 AND c.account_sid = $2 AND c.identity = $3::uuid
 ORDER BY m.seq`;

// The conversation and its first messages in one statement; one row per message, in insertion order.
const CREATE_CONVERSATION_WITH_MESSAGES = `
WITH conversation AS (
  INSERT INTO conversations (sid, account_sid, identity, customer_friendly_name, pre_engagement_data, verified_guest)
  VALUES ($1, $2, $3::uuid, $4, $5::jsonb, $9::jsonb)
  RETURNING sid, account_sid, identity::text AS identity, customer_friendly_name, pre_engagement_data, verified_guest, created_at, NULL::text AS welcome_message
), inserted AS (
  INSERT INTO messages (sid, conversation_sid, author, body)
  SELECT m.sid, c.sid, m.author, m.body
    FROM conversation c, unnest($6::text[], $7::text[], $8::text[]) WITH ORDINALITY AS m (sid, author, body, position)
   ORDER BY m.position
  RETURNING sid, author, author_name, body, created_at, seq
)
SELECT c.*, m.sid AS message_sid, m.author AS message_author, m.author_name AS message_author_name, m.body AS message_body, m.created_at AS message_created_at
  FROM conversation c LEFT JOIN inserted m ON true
 ORDER BY m.seq`;

/*
 * Count, then store, in one statement. The UPDATE opens a new window or counts into the current one, and
 * matches no row once the window is full; under concurrent posts it waits for the other writer and re-checks
 * the newest row, so the limit is exact across replicas. Ownership is read separately, to tell a full window
 * (429) from a conversation that is not the caller's (404).
 */
const ADD_GUEST_MESSAGE = `
WITH counted AS (
  UPDATE conversations c
     SET guest_message_window_started_at = CASE WHEN c.guest_message_window_started_at > now() - $7::int * interval '1 second'
                                                THEN c.guest_message_window_started_at ELSE now() END,
         guest_message_window_count = CASE WHEN c.guest_message_window_started_at > now() - $7::int * interval '1 second'
                                           THEN c.guest_message_window_count + 1 ELSE 1 END
   WHERE c.sid = $2 AND c.account_sid = $3 AND c.identity = $4::uuid AND c.status = 'open'
     AND (c.guest_message_window_started_at IS NULL
          OR c.guest_message_window_started_at <= now() - $7::int * interval '1 second'
          OR c.guest_message_window_count < $6::int)
  RETURNING c.sid
), inserted AS (
  INSERT INTO messages (sid, conversation_sid, author, body)
  SELECT $1, counted.sid, 'guest', $5 FROM counted
  RETURNING ${MESSAGE_COLUMNS}
), owner AS (
  SELECT c.guest_message_window_started_at AS window_started_at, c.status
    FROM conversations c WHERE c.sid = $2 AND c.account_sid = $3 AND c.identity = $4::uuid
)
SELECT EXISTS (SELECT 1 FROM owner) AS owned, coalesce((SELECT status = 'closed' FROM owner), false) AS closed,
       (SELECT greatest(1, ceil(extract(epoch FROM o.window_started_at + $7::int * interval '1 second' - now())))::int FROM owner o) AS retry_after_seconds,
       i.sid, i.author, i.author_name, i.body, i.created_at
  FROM (SELECT 1) AS one LEFT JOIN inserted i ON true`;

interface AddGuestMessageRow {
  owned: boolean;
  closed: boolean;
  author_name: string | null;
  retry_after_seconds: number | null;
  sid: string | null;
  author: MessageAuthor | null;
  body: string | null;
  created_at: Date | null;
}

/** The message columns of joined rows (a conversation without messages has one row of nulls). */
const messagesOf = (rows: ConversationWithMessageRow[]): MessageRecord[] =>
  rows.flatMap((row) =>
    row.message_sid === null || row.message_author === null || row.message_body === null || row.message_created_at === null
      ? []
      : [{ messageSid: row.message_sid, author: row.message_author, authorName: row.message_author_name, body: row.message_body, createdAt: row.message_created_at }],
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
        input.verifiedGuest ? JSON.stringify(input.verifiedGuest) : null,
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

    async addGuestMessage(sid, owner, body, limit) {
      const { rows } = await db.query<AddGuestMessageRow>(ADD_GUEST_MESSAGE, [
        newMessageSid(),
        sid,
        owner.accountSid,
        owner.identity,
        body,
        limit.messages,
        limit.windowSeconds,
      ]);
      const row = rows[0];
      if (!row?.owned) return { outcome: 'not_found' };
      if (row.closed) return { outcome: 'closed' };
      if (row.sid === null || row.author === null || row.body === null || row.created_at === null) {
        return { outcome: 'rate_limited', retryAfterSeconds: row.retry_after_seconds ?? limit.windowSeconds };
      }
      return { outcome: 'stored', message: toMessage({ sid: row.sid, author: row.author, author_name: row.author_name, body: row.body, created_at: row.created_at }) };
    },
  };
}
