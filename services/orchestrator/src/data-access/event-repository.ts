import type { Database } from './pool';
import type { ConversationEvent, EventRepository } from '../domain/event-store';

export type { ConversationEvent, EventRepository };

interface EventRow {
  id: string;
  event_sid: string;
  account_sid: string;
  conversation_sid: string;
  position: string;
  type: string;
  data: Record<string, unknown>;
  created_at: Date;
}

const COLUMNS = 'id, event_sid, account_sid, conversation_sid, position, type, data, created_at';
const toEvent = (row: EventRow): ConversationEvent => ({
  id: Number(row.id),
  eventSid: row.event_sid,
  accountSid: row.account_sid,
  conversationSid: row.conversation_sid,
  position: Number(row.position),
  type: row.type,
  data: row.data,
  createdAt: row.created_at,
});

export function createEventRepository(db: Database): EventRepository {
  return {
    async eventsAfterPosition(conversationSid, position, limit) {
      const { rows } = await db.query<EventRow>(
        `SELECT ${COLUMNS} FROM conversation_events WHERE conversation_sid = $1 AND position > $2 ORDER BY position LIMIT $3`,
        [conversationSid, position, limit],
      );
      return rows.map(toEvent);
    },

    async accountEventsSince(accountSid, id, windowSeconds, limit) {
      const { rows } = await db.query<EventRow>(
        `SELECT ${COLUMNS} FROM conversation_events
          WHERE account_sid = $1
            AND (id > $2 OR created_at >= (SELECT created_at FROM conversation_events WHERE id = $2) - $3::int * interval '1 second')
          ORDER BY id LIMIT $4`,
        [accountSid, id, windowSeconds, limit],
      );
      return rows.map(toEvent);
    },

    async eventById(id) {
      const { rows } = await db.query<EventRow>(`SELECT ${COLUMNS} FROM conversation_events WHERE id = $1`, [id]);
      return rows[0] ? toEvent(rows[0]) : null;
    },
  };
}
