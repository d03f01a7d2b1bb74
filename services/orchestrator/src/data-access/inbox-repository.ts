import type { AgentRecord } from './agent-repository';
import type { ConversationStatus, InboxConversation, InboxCursor, InboxMessage, InboxRepository } from '../domain/inbox-store';
import { newMessageSid, type MessageAuthor } from './conversation-repository';
import type { Database } from './pool';

export type { ConversationStatus, InboxConversation, InboxCursor, InboxMessage, InboxRepository };

interface InboxRow {
  sid: string;
  account_sid: string;
  identity: string;
  status: ConversationStatus;
  verified_guest: { name?: string; email?: string } | null;
  customer_friendly_name: string | null;
  pre_engagement_data: Record<string, unknown> | null;
  created_at: Date;
  closed_at: Date | null;
  last_activity_at: Date;
  last_activity_exact: string;
  unread_count: number;
  last_message: { messageSid: string; author: MessageAuthor; authorName: string | null; agentSid: string | null; body: string; createdAt: string } | null;
}

interface MessageRow {
  sid: string;
  author: MessageAuthor;
  author_name: string | null;
  author_agent_sid: string | null;
  body: string;
  created_at: Date;
}

// Unread: guest message events past the agents' read mark (the event log's unique (conversation, position) index).
const INBOX_COLUMNS = `
  c.sid, c.account_sid, c.identity::text AS identity, c.status, c.verified_guest, c.customer_friendly_name, c.pre_engagement_data,
  c.created_at, c.closed_at, c.last_activity_at,
  to_char(c.last_activity_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS last_activity_exact,
  (SELECT count(*)::int FROM conversation_events e
    WHERE e.conversation_sid = c.sid AND e.position > c.agent_read_position
      AND e.type = 'message.created' AND e.data->>'author' = 'guest') AS unread_count,
  (SELECT json_build_object('messageSid', m.sid, 'author', m.author, 'authorName', m.author_name, 'agentSid', m.author_agent_sid,
                            'body', m.body, 'createdAt', m.created_at)
     FROM messages m WHERE m.conversation_sid = c.sid ORDER BY m.seq DESC LIMIT 1) AS last_message`;

const MESSAGE_COLUMNS = 'sid, author, author_name, author_agent_sid, body, created_at';

const toMessage = (row: MessageRow): InboxMessage => ({
  messageSid: row.sid,
  author: row.author,
  authorName: row.author_name,
  agentSid: row.author_agent_sid,
  body: row.body,
  createdAt: row.created_at,
});

const toConversation = (row: InboxRow): InboxConversation => ({
  conversationSid: row.sid,
  accountSid: row.account_sid,
  identity: row.identity,
  status: row.status,
  verifiedGuest: row.verified_guest,
  customerFriendlyName: row.customer_friendly_name,
  preEngagementData: row.pre_engagement_data,
  createdAt: row.created_at,
  closedAt: row.closed_at,
  lastActivityAt: row.last_activity_at,
  lastActivityExact: row.last_activity_exact,
  unreadCount: row.unread_count,
  lastMessage: row.last_message ? { ...row.last_message, createdAt: new Date(row.last_message.createdAt) } : null,
});

export function createInboxRepository(db: Database): InboxRepository {
  async function inboxRow(accountSid: string, conversationSid: string): Promise<InboxConversation | null> {
    const { rows } = await db.query<InboxRow>(`SELECT ${INBOX_COLUMNS} FROM conversations c WHERE c.sid = $1 AND c.account_sid = $2`, [conversationSid, accountSid]);
    return rows[0] ? toConversation(rows[0]) : null;
  }

  return {
    async listConversations(accountSid, { status, limit, after }) {
      const { rows } = await db.query<InboxRow>(
        `SELECT ${INBOX_COLUMNS} FROM conversations c
          WHERE c.account_sid = $1 AND ($2::text IS NULL OR c.status = $2)
            AND ($3::timestamptz IS NULL OR (c.last_activity_at, c.sid) < ($3::timestamptz, $4::text))
          ORDER BY c.last_activity_at DESC, c.sid DESC LIMIT $5`,
        [accountSid, status ?? null, after?.lastActivityAt ?? null, after?.conversationSid ?? '', limit],
      );
      return rows.map(toConversation);
    },

    async readConversation(accountSid, conversationSid, limit) {
      // Reading marks everything up to now as read for the account's agents.
      await db.query(
        'UPDATE conversations SET agent_read_position = last_event_position WHERE sid = $1 AND account_sid = $2 AND agent_read_position <> last_event_position',
        [conversationSid, accountSid],
      );
      const conversation = await inboxRow(accountSid, conversationSid);
      if (!conversation) return null;
      const { rows } = await db.query<MessageRow>(
        `SELECT * FROM (SELECT ${MESSAGE_COLUMNS}, seq FROM messages WHERE conversation_sid = $1 ORDER BY seq DESC LIMIT $2) m ORDER BY seq`,
        [conversationSid, limit],
      );
      return { conversation, messages: rows.map(toMessage) };
    },

    async addAgentMessage(agent, conversationSid, body) {
      // The open check and the insert are one statement: a Close committing first makes this insert nothing.
      const { rows } = await db.query<MessageRow & { found: boolean; open: boolean }>(
        `WITH target AS (
           SELECT sid, status FROM conversations WHERE sid = $2 AND account_sid = $3 FOR UPDATE
         ), inserted AS (
           INSERT INTO messages (sid, conversation_sid, author, author_agent_sid, author_name, body)
           SELECT $1, t.sid, $4, $5, $6, $7 FROM target t WHERE t.status = 'open'
           RETURNING ${MESSAGE_COLUMNS}
         )
         SELECT EXISTS (SELECT 1 FROM target) AS found, coalesce((SELECT status = 'open' FROM target), false) AS open, i.*
           FROM (SELECT 1) one LEFT JOIN inserted i ON true`,
        [newMessageSid(), conversationSid, agent.accountSid, agent.kind, agent.agentSid, agent.friendlyName, body],
      );
      const row = rows[0];
      if (!row?.found) return { outcome: 'not_found' };
      if (!row.open || row.sid === null) return { outcome: 'closed' };
      return { outcome: 'stored', message: toMessage(row) };
    },

    async closeConversation(agent, conversationSid) {
      const outcome = await db.transaction(async (tx) => {
        const { rows } = await tx.query<{ status: ConversationStatus }>(
          'SELECT status FROM conversations WHERE sid = $1 AND account_sid = $2 FOR UPDATE',
          [conversationSid, agent.accountSid],
        );
        if (!rows[0]) return 'not_found' as const;
        if (rows[0].status === 'closed') return 'already_closed' as const;
        const { rows: closed } = await tx.query<{ closed_at: Date }>(
          `UPDATE conversations SET status = 'closed', closed_at = now(), last_activity_at = now() WHERE sid = $1 RETURNING closed_at`,
          [conversationSid],
        );
        await tx.query(`SELECT append_conversation_event($1, 'conversation.closed', $2::jsonb)`, [
          conversationSid,
          JSON.stringify({
            conversationSid,
            accountSid: agent.accountSid,
            closedAt: closed[0]?.closed_at.toISOString(),
            closedBy: { kind: agent.kind, agentSid: agent.agentSid, name: agent.friendlyName },
          }),
        ]);
        return 'closed' as const;
      });
      if (outcome === 'not_found') return { outcome };
      const conversation = await inboxRow(agent.accountSid, conversationSid);
      if (!conversation) return { outcome: 'not_found' };
      return { outcome, conversation };
    },
  };
}
