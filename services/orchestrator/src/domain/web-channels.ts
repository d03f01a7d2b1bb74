import type { z } from 'zod';
import { MessageBody, type CreateWebChannelRequest, type Message, type VerifiedGuest, type WebChannel, type WebChannelWithMessages } from '@webchat/contracts';
import { AppError } from '@webchat/errors';
import type { AccountDetails } from './account-types';
import type { AccountLookup } from './accounts';
import type { ConversationRecord, ConversationRepository, MessageRateLimit, MessageRecord } from './conversation-store';
import type { FingerprintSignals } from './fingerprint';
import { checkGuestToken, guestTokenHash, requireActiveMintingKey, type GuestTokenCheckDeps } from './guest-tokens';
import type { OriginRefusals } from './origin-refusals';
import { checkConfiguredPreEngagement } from './widget-configuration';

export interface WebChannelDeps extends GuestTokenCheckDeps {
  accounts: Pick<AccountLookup, 'getAccount'>;
  conversations: ConversationRepository;
  /** Guest messages per conversation and window; a guest typing never meets it, a script does. */
  messageRateLimit: MessageRateLimit;
  /** Counts refused origins for the operator. */
  refusals?: OriginRefusals;
}

/** The token holder, as scoped-auth vouched for it, and the account configuration read once for this request. */
export interface Guest {
  accountSid: string;
  identity: string;
  /** When the token stops working: a live stream ends then, and the widget refreshes and reconnects. */
  expiresAt: string;
  account: AccountDetails;
  /** What the customer's server vouched for, carried by the token. */
  verifiedGuest?: VerifiedGuest | undefined;
  /** The deployment key that minted the token and the token's hash: a live stream ends when either is revoked. */
  deploymentKeyId: string | undefined;
  tokenHash: string;
}

export const DEFAULT_WELCOME_MESSAGE = 'Hi there! Thanks for reaching out. How can we help you today?';
/** A transcript shown to a guest: the newest messages, oldest first. */
export const HISTORY_LIMIT = 500;

const conversationNotFound = () => new AppError('conversation_not_found', 'No conversation with this SID belongs to this token');

/**
 * The token is checked by scoped-auth with every fingerprint this request can produce (a bound token
 * matches only its own), then the account is read once. A suspended or deleted account gets the token
 * route's answer for a dead deployment key: the guest learns only that this webchat does not work.
 */
export async function authenticateGuest(deps: WebChannelDeps, token: string, signals: FingerprintSignals): Promise<Guest> {
  const claims = await checkGuestToken(deps, token, signals);
  const account = await deps.accounts.getAccount(claims.accountSid);
  if (!account || account.status !== 'active') {
    throw new AppError('deployment_key_invalid', 'The webchat this token was issued for is not active');
  }
  requireActiveMintingKey(claims, account.deploymentKeys);
  return {
    accountSid: claims.accountSid,
    identity: claims.identity,
    expiresAt: claims.expiresAt,
    account,
    verifiedGuest: claims.verifiedGuest,
    deploymentKeyId: claims.deploymentKeyId,
    tokenHash: guestTokenHash(token),
  };
}

/** `preEngagementData.question`, when the guest asked one: it becomes the first guest message. */
function preEngagementQuestion(data: Record<string, unknown> | undefined): string | undefined {
  const question = data?.question;
  if (question === undefined || question === null) return undefined;
  const parsed = MessageBody.safeParse(question);
  if (parsed.success) return parsed.data;
  if (typeof question === 'string' && question.trim() === '') return undefined;
  const message = parsed.error.issues[0]?.message ?? 'must be a string';
  throw new AppError('invalid_request', `The body is not valid: preEngagementData.question: ${message}`, {
    errors: [{ field: 'preEngagementData.question', message }],
  });
}

const toMessage = (record: MessageRecord): Message => ({
  messageSid: record.messageSid,
  author: record.author,
  ...(record.authorName ? { authorName: record.authorName } : {}),
  body: record.body,
  createdAt: record.createdAt.toISOString(),
});

const toWebChannel = (conversation: ConversationRecord): WebChannel => ({
  conversationSid: conversation.conversationSid,
  identity: conversation.identity,
  ...(conversation.verifiedGuest ? { verifiedGuest: conversation.verifiedGuest } : {}),
  welcomeMessage: conversation.welcomeMessage ?? DEFAULT_WELCOME_MESSAGE,
  createdAt: conversation.createdAt.toISOString(),
});

/** The welcome (from the account, or a default) and the question are stored with the conversation, in one transaction. */
export async function createWebChannel(deps: WebChannelDeps, guest: Guest, input: z.output<typeof CreateWebChannelRequest>): Promise<WebChannel> {
  checkConfiguredPreEngagement(guest.account, input.preEngagementData);
  const question = preEngagementQuestion(input.preEngagementData);
  const welcome = guest.account.welcomeMessage ?? DEFAULT_WELCOME_MESSAGE;
  const { conversation } = await deps.conversations.createConversation({
    accountSid: guest.accountSid,
    identity: guest.identity,
    customerFriendlyName: input.customerFriendlyName ?? null,
    preEngagementData: input.preEngagementData ?? null,
    verifiedGuest: guest.verifiedGuest ?? null,
    messages: [{ author: 'system', body: welcome }, ...(question ? [{ author: 'guest' as const, body: question }] : [])],
  });
  return toWebChannel(conversation);
}

export async function getWebChannel(deps: WebChannelDeps, guest: Guest, conversationSid: string): Promise<WebChannelWithMessages> {
  const found = await deps.conversations.findConversation(conversationSid, guest, HISTORY_LIMIT);
  if (!found) throw conversationNotFound();
  return { ...toWebChannel(found.conversation), messages: found.messages.map(toMessage) };
}

export async function listMessages(deps: WebChannelDeps, guest: Guest, conversationSid: string): Promise<{ messages: Message[] }> {
  const found = await deps.conversations.findConversation(conversationSid, guest, HISTORY_LIMIT);
  if (!found) throw conversationNotFound();
  return { messages: found.messages.map(toMessage) };
}

export async function postMessage(deps: WebChannelDeps, guest: Guest, conversationSid: string, body: string): Promise<Message> {
  const result = await deps.conversations.addGuestMessage(conversationSid, guest, body, deps.messageRateLimit);
  if (result.outcome === 'not_found') throw conversationNotFound();
  if (result.outcome === 'closed') throw new AppError('conversation_closed', 'This conversation has ended; start a new one');
  if (result.outcome === 'rate_limited') {
    const { messages, windowSeconds } = deps.messageRateLimit;
    throw new AppError('rate_limited', `This conversation accepts at most ${messages} messages every ${windowSeconds} s; try again in ${result.retryAfterSeconds} s`, {
      headers: { 'Retry-After': String(result.retryAfterSeconds) },
    });
  }
  return toMessage(result.message);
}
