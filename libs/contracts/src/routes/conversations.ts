import { declareRoute } from '../route';
import { WEB_CHANNELS_PATH, WebChannelParams } from '../orchestrator';
import {
  CONVERSATION_EVENTS_PATH, CONVERSATIONS_PATH, WEB_CHANNEL_EVENTS_SUFFIX, ConversationDetail, ConversationList, ConversationMessage, ConversationParams,
  ConversationSummary, ListConversationsQuery, PostAgentMessageRequest,
} from '../conversations';

const EVENT_STREAM = {
  description: 'Server-Sent Events; each `data:` is a ConversationEventEnvelope, the SSE `id` resumes with Last-Event-ID (docs/conversations-api.md)',
  contentType: 'text/event-stream',
} as const;

/** The guest's live stream: its conversation's messages and its end. */
export const webChannelEventsRoute = declareRoute({
  method: 'get', path: `${WEB_CHANNELS_PATH}/:conversationSid${WEB_CHANNEL_EVENTS_SUFFIX}`, operationId: 'webChannelEvents', callers: 'guest', cache: 'no-store',
  params: WebChannelParams, summary: "Live events of the guest's conversation (message.created, conversation.closed); resume with Last-Event-ID",
  responses: { 200: EVENT_STREAM }, problems: [401, 403, 404, 429, 502, 503, 504],
});

export const conversationEventsRoute = declareRoute({
  method: 'get', path: CONVERSATION_EVENTS_PATH, operationId: 'conversationEvents', callers: 'agent', cache: 'no-store',
  summary: "Live events of the account's conversations (conversation.created, message.created, conversation.closed)",
  responses: { 200: EVENT_STREAM }, problems: [401, 429, 503],
});

export const listConversationsRoute = declareRoute({
  method: 'get', path: CONVERSATIONS_PATH, operationId: 'listConversations', callers: 'agent', cache: 'no-store', query: ListConversationsQuery,
  summary: "The account's conversations, newest activity first, with unread counts", responses: { 200: { description: 'One page', schema: ConversationList } },
  problems: [401, 429, 503],
});

export const getConversationRoute = declareRoute({
  method: 'get', path: `${CONVERSATIONS_PATH}/:conversationSid`, operationId: 'getConversation', callers: 'agent', cache: 'no-store', params: ConversationParams,
  summary: 'The conversation and its messages; marks it read for the account', responses: { 200: { description: 'The conversation', schema: ConversationDetail } },
  problems: [401, 404, 429, 503],
});

export const postAgentMessageRoute = declareRoute({
  method: 'post', path: `${CONVERSATIONS_PATH}/:conversationSid/Messages`, operationId: 'postAgentMessage', callers: 'agent', cache: 'no-store', params: ConversationParams,
  summary: 'Post an agent (or bot) message', body: PostAgentMessageRequest, responses: { 201: { description: 'The stored message', schema: ConversationMessage } },
  problems: [401, 404, 409, 413, 415, 429, 503],
  counters: { posted: { name: 'webchat_agent_messages_total', help: 'Messages posted by agents and bots', labels: ['kind'] } },
});

export const closeConversationRoute = declareRoute({
  method: 'post', path: `${CONVERSATIONS_PATH}/:conversationSid/Close`, operationId: 'closeConversation', callers: 'agent', cache: 'no-store', params: ConversationParams,
  summary: 'Close the conversation; the guest is told live and can start a new one', responses: { 200: { description: 'The closed conversation', schema: ConversationSummary } },
  problems: [401, 404, 429, 503],
});

/** Order matters for Express: `/Events` before `/:conversationSid`. */
export const conversationRoutes = [
  webChannelEventsRoute, conversationEventsRoute, listConversationsRoute, getConversationRoute, postAgentMessageRoute, closeConversationRoute,
] as const;
