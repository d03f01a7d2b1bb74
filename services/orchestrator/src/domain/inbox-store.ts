import type { AgentRecord } from './agent-store';
import type { MessageAuthor } from './conversation-store';

/** The account's conversations as agents see them: every conversation of the account, newest activity first. */

export type ConversationStatus = 'open' | 'closed';

export interface InboxConversation {
  conversationSid: string;
  accountSid: string;
  identity: string;
  status: ConversationStatus;
  /** Set only from a customer-signed identity token (conversations.verified_guest). */
  verifiedGuest: { name?: string; email?: string } | null;
  customerFriendlyName: string | null;
  preEngagementData: Record<string, unknown> | null;
  createdAt: Date;
  closedAt: Date | null;
  lastActivityAt: Date;
  /** The same instant to the microsecond (a Date keeps milliseconds): what a page cursor must carry. */
  lastActivityExact: string;
  /** Guest messages the account's agents have not read yet. */
  unreadCount: number;
  lastMessage: InboxMessage | null;
}

export interface InboxMessage {
  messageSid: string;
  author: MessageAuthor;
  authorName: string | null;
  agentSid: string | null;
  body: string;
  createdAt: Date;
}

/** Where the next page starts: the last row's activity time and SID (the order's tie-breaker). */
export interface InboxCursor {
  lastActivityAt: string;
  conversationSid: string;
}

export interface InboxRepository {
  listConversations(accountSid: string, filter: { status?: ConversationStatus; limit: number; after?: InboxCursor }): Promise<InboxConversation[]>;
  /** The conversation with its latest `limit` messages; marks it read for the account's agents. null: not this account's. */
  readConversation(accountSid: string, conversationSid: string, limit: number): Promise<{ conversation: InboxConversation; messages: InboxMessage[] } | null>;
  addAgentMessage(agent: AgentRecord, conversationSid: string, body: string): Promise<{ outcome: 'stored'; message: InboxMessage } | { outcome: 'not_found' | 'closed' }>;
  /** Closes an open conversation and appends `conversation.closed` in the same transaction; closing a closed one changes nothing. */
  closeConversation(agent: AgentRecord, conversationSid: string): Promise<{ outcome: 'closed' | 'already_closed'; conversation: InboxConversation } | { outcome: 'not_found' }>;
}
