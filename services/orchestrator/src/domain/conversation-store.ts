/** The conversation store as the domain needs it; data-access implements it with plain objects (no pg types). */

export type MessageAuthor = 'guest' | 'system' | 'agent' | 'bot';

export interface ConversationRecord {
  conversationSid: string;
  accountSid: string;
  identity: string;
  customerFriendlyName: string | null;
  preEngagementData: Record<string, unknown> | null;
  /** What the customer's server vouched for about the guest (a verified identity token); null otherwise. */
  verifiedGuest: { name?: string; email?: string } | null;
  /** The first system message (the welcome), null when the conversation has none. */
  welcomeMessage: string | null;
  createdAt: Date;
}

export interface MessageRecord {
  messageSid: string;
  author: MessageAuthor;
  /** Agents and bots: the name they had when they sent it. */
  authorName: string | null;
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
  verifiedGuest?: { name?: string; email?: string } | null;
  /** Stored in this order, in the same transaction as the conversation. */
  messages: Array<{ author: MessageAuthor; body: string }>;
}

export interface ConversationRepository {
  /** One transaction: the conversation and its first messages exist together or not at all. */
  createConversation(input: NewConversation): Promise<{ conversation: ConversationRecord; messages: MessageRecord[] }>;
  /** The owner's conversation with its latest `limit` messages (oldest first); null when it is not theirs or does not exist. */
  findConversation(sid: string, owner: ConversationOwner, limit: number): Promise<{ conversation: ConversationRecord; messages: MessageRecord[] } | null>;
  /**
   * Appends a guest message to the owner's conversation, counted against `limit` in one statement:
   * refused (nothing written) when the window is full, `not_found` when it is not theirs or does not exist.
   */
  addGuestMessage(sid: string, owner: ConversationOwner, body: string, limit: MessageRateLimit): Promise<AddMessageResult>;
}

/** At most `messages` guest messages per conversation in each fixed window of `windowSeconds`. */
export interface MessageRateLimit {
  messages: number;
  windowSeconds: number;
}

export type AddMessageResult =
  | { outcome: 'stored'; message: MessageRecord }
  | { outcome: 'not_found' }
  | { outcome: 'closed' }
  | { outcome: 'rate_limited'; retryAfterSeconds: number };
