import { declareRoute, type RouteSpec } from '../route';
import { conversationRoutes } from './conversations';
import { getPublicOpenApiRoute, getWebchatConfigurationRoute } from './webchat-configuration';
import {
  WEBCHAT_TOKEN_PATH, WEBCHAT_REFRESH_PATH, WEB_CHANNELS_PATH, WebchatTokenRequest, WebchatTokenResponse, RefreshTokenRequest,
  RefreshTokenResponse, CreateWebChannelRequest, WebChannel, WebChannelParams, WebChannelWithMessages, MessageList, PostMessageRequest, Message,
} from '../orchestrator';

const FORM = 'application/x-www-form-urlencoded';
/** Minting and refreshing count into the same series. */
const tokensIssued = { name: 'webchat_tokens_issued_total', help: 'Guest tokens issued', labels: ['fingerprint_bound'] } as const;

export const createWebchatTokenRoute = declareRoute({
  method: 'post', path: WEBCHAT_TOKEN_PATH, operationId: 'createWebchatToken', callers: 'public', cache: 'no-store',
  summary: 'Mint a webchat guest token for a deployment key', body: WebchatTokenRequest, bodyContentTypes: ['application/json', FORM],
  responses: { 200: { description: 'The token', schema: WebchatTokenResponse } }, problems: [401, 403, 413, 415, 429, 502, 503, 504],
  counters: { issued: tokensIssued },
});

export const refreshWebchatTokenRoute = declareRoute({
  method: 'post', path: WEBCHAT_REFRESH_PATH, operationId: 'refreshWebchatToken', callers: 'public', cache: 'no-store',
  summary: 'Exchange a valid token for a new one for the same identity', body: RefreshTokenRequest, bodyContentTypes: ['application/json', FORM],
  responses: { 200: { description: 'The new token', schema: RefreshTokenResponse } }, problems: [401, 403, 413, 415, 429, 502, 503, 504],
  counters: { issued: tokensIssued },
});

export const createWebChannelRoute = declareRoute({
  method: 'post', path: WEB_CHANNELS_PATH, operationId: 'createWebChannel', callers: 'guest', cache: 'no-store',
  summary: 'Create the conversation for the token holder', body: CreateWebChannelRequest,
  responses: { 201: { description: 'The conversation', schema: WebChannel } }, problems: [401, 403, 413, 415, 429, 502, 503, 504],
  counters: { created: { name: 'webchat_conversations_created_total', help: 'Conversations created through WebChannels' } },
});

export const getWebChannelRoute = declareRoute({
  method: 'get', path: `${WEB_CHANNELS_PATH}/:conversationSid`, operationId: 'getWebChannel', callers: 'guest', cache: 'no-store', params: WebChannelParams,
  summary: 'The conversation and its messages', responses: { 200: { description: 'The conversation', schema: WebChannelWithMessages } },
  problems: [401, 403, 404, 502, 503, 504],
});

export const listMessagesRoute = declareRoute({
  method: 'get', path: `${WEB_CHANNELS_PATH}/:conversationSid/Messages`, operationId: 'listMessages', callers: 'guest', cache: 'no-store', params: WebChannelParams,
  summary: 'Messages in order', responses: { 200: { description: 'The messages', schema: MessageList } }, problems: [401, 403, 404, 502, 503, 504],
});

export const postMessageRoute = declareRoute({
  method: 'post', path: `${WEB_CHANNELS_PATH}/:conversationSid/Messages`, operationId: 'postMessage', callers: 'guest', cache: 'no-store', params: WebChannelParams,
  summary: 'Post a guest message (a limited number per conversation and minute)', body: PostMessageRequest,
  responses: { 201: { description: 'The stored message', schema: Message } }, problems: [401, 403, 404, 409, 413, 415, 429, 502, 503, 504],
});

export const orchestratorRoutes: readonly RouteSpec[] = [
  getWebchatConfigurationRoute, getPublicOpenApiRoute, createWebchatTokenRoute, refreshWebchatTokenRoute, ...conversationRoutes, createWebChannelRoute,
  getWebChannelRoute, listMessagesRoute, postMessageRoute,
];
