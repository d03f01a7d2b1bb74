import { createHash } from 'node:crypto';
import type { Express, Request } from 'express';
import { CONVERSATION_EVENTS_PATH, CONVERSATIONS_PATH, ConversationParams, ListConversationsQuery, PostAgentMessageRequest } from '@webchat/contracts';
import { AppError, FORM_CONTENT_TYPE, parseWith } from '@webchat/http-kit';
import type { AgentRecord } from '../data-access/agent-repository';
import {
  agentRateLimiter,
  authenticateAgent,
  closeConversation,
  getConversation,
  listConversations,
  postAgentMessage,
  type AgentConversationDeps,
} from '../domain/agent-conversations';
import type { LiveEvents } from '../domain/live-events';
import { lastEventIdOf, openEventStream } from './sse';

const BEARER = /^Bearer +(\S{1,256})$/i;

export interface ConversationRouteDeps extends AgentConversationDeps {
  live: LiveEvents;
  retryMs: number;
}

function jsonBody(req: Request): unknown {
  if (req.is(FORM_CONTENT_TYPE)) throw new AppError('unsupported_media_type', 'Send the body as application/json');
  return req.body ?? {};
}

/** The Conversations API: the account's agents and bots, with a `wk_` key (docs/conversations-api.md). */
export function mountConversationRoutes(app: Express, deps: ConversationRouteDeps): void {
  const limited = agentRateLimiter(deps);
  async function agentOf(req: Request): Promise<AgentRecord> {
    const agent = await authenticateAgent(deps, BEARER.exec(req.get('authorization')?.trim() ?? '')?.[1]);
    limited(agent.agentSid);
    return agent;
  }
  const sidOf = (req: Request) => parseWith(ConversationParams, req.params, 'path').conversationSid;

  // Before `/:conversationSid`, which would otherwise take "Events" for a SID (and refuse it).
  app.get(CONVERSATION_EVENTS_PATH, async (req, res) => {
    const agent = await agentOf(req);
    const lastId = lastEventIdOf(req);
    const holder = createHash('sha256').update(agent.agentSid).digest('base64url');
    deps.live.openAccountStream(holder, agent.accountSid, lastId, (closed) => openEventStream(res, deps.retryMs, closed));
  });

  app.get(CONVERSATIONS_PATH, async (req, res) => {
    const agent = await agentOf(req);
    const query = parseWith(ListConversationsQuery, req.query, 'query');
    res.status(200).json(await listConversations(deps, agent, query));
  });

  app.get(`${CONVERSATIONS_PATH}/:conversationSid`, async (req, res) => {
    const agent = await agentOf(req);
    res.status(200).json(await getConversation(deps, agent, sidOf(req)));
  });

  app.post(`${CONVERSATIONS_PATH}/:conversationSid/Messages`, async (req, res) => {
    const agent = await agentOf(req);
    const conversationSid = sidOf(req);
    const { body } = parseWith(PostAgentMessageRequest, jsonBody(req));
    res.status(201).json(await postAgentMessage(deps, agent, conversationSid, body));
  });

  app.post(`${CONVERSATIONS_PATH}/:conversationSid/Close`, async (req, res) => {
    const agent = await agentOf(req);
    res.status(200).json(await closeConversation(deps, agent, sidOf(req)));
  });
}
