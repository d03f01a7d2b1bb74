
import { Health, Readiness } from './health';
import { SCOPED_AUTH_GENERATE_PATH, SCOPED_AUTH_VALIDATE_PATH, GenerateScopedTokenRequest, GenerateScopedTokenResponse, ValidateScopedTokenRequest, ValidateScopedTokenResponse } from './scoped-auth';
import { FEDERATED_TOKENS_ROUTE, FederatedTokensParams, CreateFederatedTokenRequest, CreateFederatedTokenResponse } from './federated-auth';
import {
  WEBCHAT_TOKEN_PATH, WEBCHAT_REFRESH_PATH, WEB_CHANNELS_PATH, WebchatTokenRequest, WebchatTokenResponse, RefreshTokenRequest,
  RefreshTokenResponse, CreateWebChannelRequest, WebChannel, WebChannelParams, WebChannelWithMessages, MessageList, PostMessageRequest, Message,
} from './orchestrator';
import type { RouteSpec } from './openapi';
import {
  CONVERSATION_EVENTS_PATH, CONVERSATIONS_PATH, WEB_CHANNEL_EVENTS_SUFFIX, ConversationDetail, ConversationList, ConversationMessage, ConversationParams,
  ConversationSummary, PostAgentMessageRequest,
} from './conversations';

const EVENT_STREAM = 'A Server-Sent Events stream (text/event-stream); each data line is a ConversationEventEnvelope (docs/conversations-api.md)';

/** Routes every service has; documented in each description. */
export const operationalRoutes: RouteSpec[] = [
  { method: 'get', path: '/healthz', operationId: 'health', summary: 'Liveness', auth: 'public', responses: { 200: { description: 'Alive', schema: Health } } },
  {
    method: 'get', path: '/readyz', operationId: 'readiness', summary: 'Readiness', auth: 'public',
    responses: { 200: { description: 'Ready', schema: Readiness }, 503: { description: 'Not ready', schema: Readiness } },
  },
];

export const scopedAuthRoutes: RouteSpec[] = [
  {
    method: 'post', path: SCOPED_AUTH_GENERATE_PATH, operationId: 'generateScopedToken', auth: 'service',
    summary: 'Mint a scoped guest token (signed JWT, optionally in a JWE)', body: GenerateScopedTokenRequest,
    responses: { 200: { description: 'The token', schema: GenerateScopedTokenResponse } }, problems: [401, 403, 413, 415],
  },
  {
    method: 'post', path: SCOPED_AUTH_VALIDATE_PATH, operationId: 'validateScopedToken', auth: 'service',
    summary: 'Validate a scoped guest token', body: ValidateScopedTokenRequest,
    responses: { 200: { description: 'The token is valid', schema: ValidateScopedTokenResponse } }, problems: [401, 403, 413, 415],
  },
];

export const federatedAuthRoutes: RouteSpec[] = [
  {
    method: 'post', path: FEDERATED_TOKENS_ROUTE, operationId: 'createAccountToken', auth: 'service',
    summary: "Compose the guest's grants for the account and mint its token", params: FederatedTokensParams, body: CreateFederatedTokenRequest,
    responses: { 200: { description: 'The token', schema: CreateFederatedTokenResponse } }, problems: [401, 403, 413, 415, 502, 503, 504],
  },
];

const FORM = 'application/x-www-form-urlencoded';
export const orchestratorRoutes: RouteSpec[] = [
  {
    method: 'post', path: WEBCHAT_TOKEN_PATH, operationId: 'createWebchatToken', auth: 'public',
    summary: 'Mint a webchat guest token for a deployment key', body: WebchatTokenRequest, bodyContentTypes: ['application/json', FORM],
    responses: { 200: { description: 'The token', schema: WebchatTokenResponse } }, problems: [403, 413, 415, 429, 502, 503, 504],
  },
  {
    method: 'post', path: WEBCHAT_REFRESH_PATH, operationId: 'refreshWebchatToken', auth: 'public',
    summary: 'Exchange a valid token for a new one for the same identity', body: RefreshTokenRequest, bodyContentTypes: ['application/json', FORM],
    responses: { 200: { description: 'The new token', schema: RefreshTokenResponse } }, problems: [401, 403, 413, 415, 429, 502, 503, 504],
  },
  {
    method: 'post', path: WEB_CHANNELS_PATH, operationId: 'createWebChannel', auth: 'guest',
    summary: 'Create the conversation for the token holder', body: CreateWebChannelRequest,
    responses: { 201: { description: 'The conversation', schema: WebChannel } }, problems: [401, 403, 413, 415, 429, 502, 503, 504],
  },
  {
    method: 'get', path: `${WEB_CHANNELS_PATH}/:conversationSid`, operationId: 'getWebChannel', auth: 'guest', params: WebChannelParams,
    summary: 'The conversation and its messages', responses: { 200: { description: 'The conversation', schema: WebChannelWithMessages } }, problems: [401, 403, 404, 502, 503, 504],
  },
  {
    method: 'get', path: `${WEB_CHANNELS_PATH}/:conversationSid/Messages`, operationId: 'listMessages', auth: 'guest', params: WebChannelParams,
    summary: 'Messages in order', responses: { 200: { description: 'The messages', schema: MessageList } }, problems: [401, 403, 404, 502, 503, 504],
  },
  {
    method: 'post', path: `${WEB_CHANNELS_PATH}/:conversationSid/Messages`, operationId: 'postMessage', auth: 'guest', params: WebChannelParams,
    summary: 'Post a guest message (a limited number per conversation and minute)', body: PostMessageRequest, responses: { 201: { description: 'The stored message', schema: Message } },
    problems: [401, 403, 404, 409, 413, 415, 429, 502, 503, 504],
  },
  {
    method: 'get', path: `${WEB_CHANNELS_PATH}/:conversationSid${WEB_CHANNEL_EVENTS_SUFFIX}`, operationId: 'webChannelEvents', auth: 'guest', params: WebChannelParams,
    summary: "Live events of the guest's conversation (message.created, conversation.closed); resume with Last-Event-ID",
    responses: { 200: { description: EVENT_STREAM } }, problems: [401, 403, 404, 429, 502, 503, 504],
  },
  {
    method: 'get', path: CONVERSATION_EVENTS_PATH, operationId: 'conversationEvents', auth: 'agent',
    summary: "Live events of the account's conversations (conversation.created, message.created, conversation.closed)",
    responses: { 200: { description: EVENT_STREAM } }, problems: [401, 429, 503],
  },
  {
    method: 'get', path: CONVERSATIONS_PATH, operationId: 'listConversations', auth: 'agent',
    summary: "The account's conversations, newest activity first, with unread counts (query: status, limit, cursor)",
    responses: { 200: { description: 'One page', schema: ConversationList } }, problems: [401, 429, 503],
  },
  {
    method: 'get', path: `${CONVERSATIONS_PATH}/:conversationSid`, operationId: 'getConversation', auth: 'agent', params: ConversationParams,
    summary: 'The conversation and its messages; marks it read for the account', responses: { 200: { description: 'The conversation', schema: ConversationDetail } },
    problems: [401, 404, 429, 503],
  },
  {
    method: 'post', path: `${CONVERSATIONS_PATH}/:conversationSid/Messages`, operationId: 'postAgentMessage', auth: 'agent', params: ConversationParams,
    summary: 'Post an agent (or bot) message', body: PostAgentMessageRequest, responses: { 201: { description: 'The stored message', schema: ConversationMessage } },
    problems: [401, 404, 409, 413, 415, 429, 503],
  },
  {
    method: 'post', path: `${CONVERSATIONS_PATH}/:conversationSid/Close`, operationId: 'closeConversation', auth: 'agent', params: ConversationParams,
    summary: 'Close the conversation; the guest is told live and can start a new one', responses: { 200: { description: 'The closed conversation', schema: ConversationSummary } },
    problems: [401, 404, 429, 503],
  },
];

export type RouteTable = typeof scopedAuthRoutes;
