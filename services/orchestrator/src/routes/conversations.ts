import type { Request } from 'express';
import { closeConversationRoute, conversationEventsRoute, getConversationRoute, listConversationsRoute, postAgentMessageRoute } from '@webchat/contracts';
import { AppError } from '@webchat/errors';
import { FORM_CONTENT_TYPE, type RouteMounter } from '@webchat/http-kit';
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
import type { StreamRevocation } from '../domain/stream-revocation';
import { lastEventIdOf, openEventStream } from './sse';

const BEARER = /^Bearer +(\S{1,256})$/i;

export interface ConversationRouteDeps extends AgentConversationDeps {
  live: LiveEvents;
  revocation: Pick<StreamRevocation, 'opened'>;
  retryMs: number;
}

function jsonBody(req: Request): unknown {
  if (req.is(FORM_CONTENT_TYPE)) throw new AppError('unsupported_media_type', 'Send the body as application/json');
  return req.body ?? {};
}

/** The Conversations API: the account's agents and bots, with a `wk_` key (docs/conversations-api.md). */
export function mountConversationRoutes<G>(routes: RouteMounter<G>, deps: ConversationRouteDeps): void {
  const limited = agentRateLimiter(deps);
  async function agentOf(req: Request): Promise<AgentRecord> {
    const agent = await authenticateAgent(deps, BEARER.exec(req.get('authorization')?.trim() ?? '')?.[1]);
    limited(agent.agentSid);
    return agent;
  }

  routes.mount(conversationEventsRoute, async ({ req, res }) => {
    const agent = await agentOf(req);
    // Admission (429/503) happens before the stream's headers: a refused desk gets a problem.
    // Removing the agent (or suspending the account) ends the stream with a final `revoked` event.
    const grant = { kind: 'agent', accountSid: agent.accountSid, agentSid: agent.agentSid } as const;
    deps.live.openAccountStream(`agent:${agent.agentSid}`, grant, lastEventIdOf(req), (closed) => openEventStream(res, deps.retryMs, closed));
    await deps.revocation.opened(grant);
  });

  routes.mount(listConversationsRoute, async ({ req, query }) => listConversations(deps, await agentOf(req), query));

  routes.mount(getConversationRoute, async ({ req, params }) => getConversation(deps, await agentOf(req), params.conversationSid));

  routes.mount(
    postAgentMessageRoute,
    async ({ req, params, body, count }) => {
      const agent = await agentOf(req);
      const message = await postAgentMessage(deps, agent, params.conversationSid, body.body);
      count.posted.inc({ kind: agent.kind });
      return message;
    },
    { body: jsonBody },
  );

  routes.mount(closeConversationRoute, async ({ req, params }) => closeConversation(deps, await agentOf(req), params.conversationSid));
}
