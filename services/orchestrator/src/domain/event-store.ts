/** The conversation event log as live streams read it; data-access implements it (no pg types). */

/** One row of the conversation event log, as streams send it. */
export interface ConversationEvent {
  /** Global, for the account stream's Last-Event-ID (does not commit in order: see domain/live-events.ts). */
  id: number;
  eventSid: string;
  accountSid: string;
  conversationSid: string;
  /** Gap-free and committed in order per conversation: the guest stream's event id. */
  position: number;
  type: string;
  data: Record<string, unknown>;
  createdAt: Date;
}

export interface EventRepository {
  /** The conversation's events after `position`, in order. */
  eventsAfterPosition(conversationSid: string, position: number, limit: number): Promise<ConversationEvent[]>;
  /** The account's events with an id above `id`, plus those up to `windowSeconds` older than event `id` (re-read window), in id order. */
  accountEventsSince(accountSid: string, id: number, windowSeconds: number, limit: number): Promise<ConversationEvent[]>;
  eventById(id: number): Promise<ConversationEvent | null>;
}
