import { z } from 'zod';
import {
  ConversationSid,
  CustomerFriendlyName,
  DeploymentKey,
  GuestTokenString,
  Identity,
  IsoDateTime,
  MessageSid,
  PreEngagementData,
  TokenResponse,
  VerifiedGuest,
} from './common';

export const WEBCHAT_TOKEN_PATH = '/v2/Webchat/Token';
export const WEBCHAT_REFRESH_PATH = '/v2/Webchat/Tokens/Refresh';
export const WEB_CHANNELS_PATH = '/v2/WebChannels';

/** The three headers the widget sends for the fingerprint (DESIGN.md, "Fingerprint"). */
export const FINGERPRINT_HEADERS = {
  userSettings: 'x-webchat-sec-usersettings',
  decoders: 'x-webchat-sec-decoders',
  webchatInfo: 'x-webchat-sec-webchatinfo',
} as const;

/**
 * The widget may post JSON or a form, and older embeds spell the key `DeploymentKey`;
 * both spellings are folded into `deploymentKey` before validation.
 */
export const WebchatTokenRequest = z.strictObject({
  deploymentKey: DeploymentKey,
  previousToken: GuestTokenString.optional().describe(
    "A returning guest's earlier token (expired is fine within the grace period): the new token keeps its identity",
  ),
  identityToken: z
    .string()
    .min(1)
    .max(8 * 1024)
    .optional()
    .describe("A JWT the customer's server signed (HS256) with the account's identity secret: { sub, aud: AccountSid, exp, name?, email? }"),
  customerFriendlyName: CustomerFriendlyName.optional(),
  preEngagementData: PreEngagementData.optional(),
});
export type WebchatTokenRequest = z.input<typeof WebchatTokenRequest>;
export const WebchatTokenResponse = TokenResponse.extend({
  verifiedGuest: VerifiedGuest.optional().describe('Name and email from a verified identity token'),
});
export type WebchatTokenResponse = z.infer<typeof WebchatTokenResponse>;

export const RefreshTokenRequest = z.strictObject({
  deploymentKey: DeploymentKey,
  token: GuestTokenString,
});
export type RefreshTokenRequest = z.input<typeof RefreshTokenRequest>;
export const RefreshTokenResponse = TokenResponse;

export const CreateWebChannelRequest = z.strictObject({
  customerFriendlyName: CustomerFriendlyName.optional(),
  preEngagementData: PreEngagementData.optional(),
});
export type CreateWebChannelRequest = z.input<typeof CreateWebChannelRequest>;

export const WebChannel = z.strictObject({
  conversationSid: ConversationSid,
  identity: Identity,
  verifiedGuest: VerifiedGuest.optional().describe("Name and email the customer's server vouched for"),
  welcomeMessage: z.string(),
  createdAt: IsoDateTime,
});
export type WebChannel = z.infer<typeof WebChannel>;

export const MESSAGE_MAX_BYTES = 4 * 1024;
export const MessageBody = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .refine((s) => Buffer.byteLength(s, 'utf8') <= MESSAGE_MAX_BYTES, { message: `must be at most ${MESSAGE_MAX_BYTES} bytes` });

export const Message = z.strictObject({
  messageSid: MessageSid,
  author: z.enum(['guest', 'system', 'agent', 'bot']),
  /** Present on agent and bot messages: the name shown next to them. */
  authorName: z.string().optional(),
  body: z.string(),
  createdAt: IsoDateTime,
});
export type Message = z.infer<typeof Message>;

export const PostMessageRequest = z.strictObject({ body: MessageBody });
export type PostMessageRequest = z.input<typeof PostMessageRequest>;

export const WebChannelParams = z.strictObject({ conversationSid: ConversationSid });

export const WebChannelWithMessages = WebChannel.extend({ messages: z.array(Message) });
export type WebChannelWithMessages = z.infer<typeof WebChannelWithMessages>;

export const MessageList = z.strictObject({ messages: z.array(Message) });
