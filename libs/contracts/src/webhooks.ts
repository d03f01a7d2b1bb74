import { z } from 'zod';
import { AccountSid, ConversationSid, IsoDateTime, MessageSid } from './common';

/**
 * What a webhook receiver gets: one JSON event per POST, signed per Standard Webhooks. The same event keeps the
 * same `id` (also sent as `webhook-id`) on every attempt and replay, so receivers deduplicate on it.
 */
const EventId = z.string().regex(/^EV[0-9a-f]{32}$/).describe('Event id; equals the webhook-id header');

const envelope = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.object({
    id: EventId,
    type: z.literal(type),
    createdAt: IsoDateTime.describe('When the event happened (the change was committed in the same transaction)'),
    accountSid: AccountSid,
    data,
  });

export const ConversationCreatedEvent = envelope(
  'conversation.created',
  z.object({ conversationSid: ConversationSid, accountSid: AccountSid, customerFriendlyName: z.string().nullable(), createdAt: IsoDateTime }),
);
export const MessageCreatedEvent = envelope(
  'message.created',
  z.object({
    messageSid: MessageSid,
    conversationSid: ConversationSid,
    author: z.string().describe('guest, system, or the agent/bot that wrote it'),
    body: z.string(),
    createdAt: IsoDateTime,
  }),
);
export const ConversationClosedEvent = envelope('conversation.closed', z.looseObject({ conversationSid: ConversationSid }));

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
