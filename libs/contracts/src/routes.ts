
import { Health, Readiness } from './health';
import { SCOPED_AUTH_GENERATE_PATH, SCOPED_AUTH_VALIDATE_PATH, GenerateScopedTokenRequest, GenerateScopedTokenResponse, ValidateScopedTokenRequest, ValidateScopedTokenResponse } from './scoped-auth';
import { FEDERATED_TOKENS_ROUTE, FederatedTokensParams, CreateFederatedTokenRequest, CreateFederatedTokenResponse } from './federated-auth';
import {
  WEBCHAT_TOKEN_PATH, WEBCHAT_REFRESH_PATH, WEB_CHANNELS_PATH, WebchatTokenRequest, WebchatTokenResponse, RefreshTokenRequest,
  RefreshTokenResponse, CreateWebChannelRequest, WebChannel, WebChannelParams, WebChannelWithMessages, MessageList, PostMessageRequest, Message,
} from './orchestrator';
import type { RouteSpec } from './openapi';
import { PUBLIC_OPENAPI_PATH, WEBCHAT_CONFIGURATION_PATH, WebchatConfiguration, WebchatConfigurationQuery } from './widget-configuration';

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
    method: 'get', path: WEBCHAT_CONFIGURATION_PATH, operationId: 'getWebchatConfiguration', auth: 'public', query: WebchatConfigurationQuery,
    summary: "The widget's configuration for a deployment key (brand colour, position, texts, pre-engagement fields); cached briefly, per Origin",
    responses: { 200: { description: 'The configuration', schema: WebchatConfiguration } }, problems: [403, 502, 503, 504],
  },
  {
    method: 'get', path: PUBLIC_OPENAPI_PATH, operationId: 'getPublicOpenApi', auth: 'public',
    summary: 'This description: the public routes only', responses: { 200: { description: 'OpenAPI 3.1' } },
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
    problems: [401, 403, 404, 413, 415, 429, 502, 503, 504],
  },
];

export type RouteTable = typeof scopedAuthRoutes;
