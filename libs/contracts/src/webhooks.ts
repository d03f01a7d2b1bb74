import { z } from 'zod';
import { AccountSid, ConversationSid, IsoDateTime, MessageSid } from './common';
import { AgentSid, AuthorKind } from './conversations';

/**
 * What a webhook receiver gets: one JSON event per POST, signed per Standard Webhooks. The same event keeps the
 * same `id` (also sent as `webhook-id`) on every attempt and replay, so receivers deduplicate on it.
 */
const EventId = z.string().regex(/^EV[0-9a-f]{32}$/).describe('Event id; equals the webhook-id header');

/*
 * Strict objects: the description says exactly what is sent (`additionalProperties: false`), and the system
 * tests parse every delivered event with it, so a field added to an event without documenting it fails there.
 * The `data` shapes are written by the database (migrations: conversation events, agents) and by the inbox when
 * an agent closes a conversation.
 */
const envelope = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.strictObject({
    id: EventId,
    type: z.literal(type),
    createdAt: IsoDateTime.describe('When the event happened (the change was committed in the same transaction)'),
    accountSid: AccountSid,
    data,
  });

export const ConversationCreatedEvent = envelope(
  'conversation.created',
  z.strictObject({
    conversationSid: ConversationSid,
    accountSid: AccountSid,
    customerFriendlyName: z.string().nullable().describe('The name the guest gave, if any'),
    createdAt: IsoDateTime,
  }),
);
export const MessageCreatedEvent = envelope(
  'message.created',
  z.strictObject({
    messageSid: MessageSid,
    conversationSid: ConversationSid,
    author: AuthorKind.describe('guest, system, or agent/bot (then authorName and agentSid say which)'),
    authorName: z.string().nullable().describe("The agent's or bot's name when it wrote the message; null for guest and system messages"),
    agentSid: AgentSid.nullable().describe('The agent or bot that wrote it; null for guest and system messages'),
    body: z.string(),
    createdAt: IsoDateTime,
  }),
);
export const ConversationClosedEvent = envelope(
  'conversation.closed',
  z.strictObject({
    conversationSid: ConversationSid,
    accountSid: AccountSid,
    closedAt: IsoDateTime,
    closedBy: z
      .strictObject({ kind: z.enum(['agent', 'bot']), agentSid: AgentSid, name: z.string() })
      .describe('The agent or bot that closed it, with its name at the time'),
  }),
);

export const WebhookEvent = z.discriminatedUnion('type', [ConversationCreatedEvent, MessageCreatedEvent, ConversationClosedEvent]);
export type WebhookEvent = z.infer<typeof WebhookEvent>;
export const WEBHOOK_EVENT_TYPES = ['conversation.created', 'message.created', 'conversation.closed'] as const;

/** One entry of the OpenAPI description's `webhooks` section. */
export interface WebhookDeclaration {
  type: (typeof WEBHOOK_EVENT_TYPES)[number];
  summary: string;
  schema: z.ZodType;
}

export const webhookDeclarations: readonly WebhookDeclaration[] = [
  { type: 'conversation.created', summary: 'A guest opened a conversation', schema: ConversationCreatedEvent },
  { type: 'message.created', summary: 'A message was stored (guest, agent, bot or system)', schema: MessageCreatedEvent },
  { type: 'conversation.closed', summary: 'A conversation was closed', schema: ConversationClosedEvent },
];

export const WEBHOOK_DESCRIPTION = [
  'Delivered by the webhook dispatcher to each endpoint registered with `webchat-admin webhooks add`.',
  'Headers (Standard Webhooks): `webhook-id` (the event id, stable across retries and replays: deduplicate on it),',
  '`webhook-timestamp` (Unix seconds of this attempt), `webhook-signature` (`v1,<base64 HMAC-SHA256>`, space-separated,',
  'two during a secret rotation). Verify with a Standard Webhooks library and the endpoint secret.',
  'Answer 2xx within 5 s; anything else is retried with exponential backoff and jitter for up to 24 h, then marked failed.',
  'Events of one conversation arrive in order. `410 Gone` disables the endpoint. Redirects are not followed.',
].join(' ');
