import { z } from 'zod';
import { AccountSid, ConversationSid, Identity, IsoDateTime, MessageSid, VerifiedGuest } from './common';
import { MessageBody } from './orchestrator';

/** The account's side of conversations: agents and bots with a `wk_` key (docs/conversations-api.md). */
export const CONVERSATIONS_PATH = '/v2/Conversations';
export const CONVERSATION_EVENTS_PATH = '/v2/Conversations/Events';
export const WEB_CHANNEL_EVENTS_SUFFIX = '/Events';

export const AgentSid = z.string().regex(/^AG[0-9a-f]{32}$/, 'must be AG followed by 32 lowercase hex digits').describe('Agent SID');
export const AuthorKind = z.enum(['guest', 'system', 'agent', 'bot']);
export const ConversationStatus = z.enum(['open', 'closed']);

export const ConversationMessage = z.strictObject({
  messageSid: MessageSid,
  author: AuthorKind,
  /** The agent's or bot's name as it was when the message was sent; null for guest and system messages. */
  authorName: z.string().nullable(),
  agentSid: AgentSid.nullable(),
  body: z.string(),
  createdAt: IsoDateTime,
});
export type ConversationMessage = z.infer<typeof ConversationMessage>;

export const ConversationSummary = z.strictObject({
  conversationSid: ConversationSid,
  status: ConversationStatus,
  identity: Identity,
  /**
   * Name and email from the customer-signed identity token the conversation was opened with; null otherwise.
   * Only this is trusted: customerFriendlyName and preEngagementData are what the guest typed.
   */
  verifiedGuest: VerifiedGuest.nullable().describe("Name and email the customer's server signed (identityToken); null for anonymous guests"),
  customerFriendlyName: z.string().nullable(),
  preEngagementData: z.record(z.string(), z.unknown()).nullable(),
  createdAt: IsoDateTime,
  closedAt: IsoDateTime.nullable(),
  lastActivityAt: IsoDateTime,
  unreadCount: z.number().int().nonnegative(),
  lastMessage: ConversationMessage.nullable(),
});
export type ConversationSummary = z.infer<typeof ConversationSummary>;

export const CONVERSATIONS_PAGE_MAX = 100;
export const ListConversationsQuery = z.strictObject({
  status: ConversationStatus.optional(),
  limit: z.coerce.number().int().min(1).max(CONVERSATIONS_PAGE_MAX).default(20),
  cursor: z.string().min(1).max(200).regex(/^[A-Za-z0-9_-]+$/, 'must be a cursor from nextCursor').optional(),
});

export const ConversationList = z.strictObject({
  conversations: z.array(ConversationSummary),
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: z.string().nullable(),
});

export const ConversationDetail = ConversationSummary.extend({ messages: z.array(ConversationMessage) });
export type ConversationDetail = z.infer<typeof ConversationDetail>;

export const ConversationParams = z.strictObject({ conversationSid: ConversationSid });
export const PostAgentMessageRequest = z.strictObject({ body: MessageBody });

/**
 * The `data:` of every Server-Sent Event (guest and account streams) and, for webhooks, the delivered body.
 * `type` is also the SSE `event:` name. Stable: fields are only ever added.
 */
export const ConversationEventEnvelope = z.strictObject({
  eventSid: z.string().regex(/^EV[0-9a-f]{32}$/),
  type: z.enum(['conversation.created', 'message.created', 'conversation.closed']),
  accountSid: AccountSid,
  conversationSid: ConversationSid,
  /** Per conversation, gap-free, increasing: the guest stream's SSE id. */
  position: z.number().int().positive(),
  createdAt: IsoDateTime,
  data: z.record(z.string(), z.unknown()),
});
export type ConversationEventEnvelope = z.infer<typeof ConversationEventEnvelope>;
