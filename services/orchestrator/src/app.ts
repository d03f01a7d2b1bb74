import type { Logger } from '@webchat/logger';
import { buildOpenApi, operationalRoutes, orchestratorRoutes } from '@webchat/contracts';
import { createMetrics, createServiceApp, type Metrics, type ReadinessCheck, type ServiceApp } from '@webchat/http-kit';
import type { OrchestratorConfig } from './config';
import type { AccountLookup } from './domain/accounts';
import type { FeatureFlags } from './domain/feature-flags';
import type { FingerprintGenerator } from './domain/fingerprint';
import type { TokenServices } from './data-access/token-services';
import type { ConversationRepository } from './data-access/conversation-repository';
import { publicCors } from './routes/cors';
import { guardPublicBody } from './routes/body-guard';
import { mountWebchatTokenRoutes } from './routes/webchat-token';
import { mountWebChannelRoutes } from './routes/web-channels';
import { mountWebChannelEventRoutes } from './routes/web-channel-events';
import { mountConversationRoutes } from './routes/conversations';
import type { AgentRepository } from './data-access/agent-repository';
import type { InboxRepository } from './data-access/inbox-repository';
import type { LiveEvents } from './domain/live-events';

export interface OrchestratorDeps {
  config: Pick<
    OrchestratorConfig,
    'BODY_LIMIT_BYTES' | 'CORS_MAX_AGE_SECONDS' | 'SESSION_MAX_AGE_SECONDS' | 'TRUST_PROXY_HOPS' | 'GUEST_MESSAGE_LIMIT' | 'GUEST_MESSAGE_WINDOW_SECONDS'
  > &
    Partial<Pick<OrchestratorConfig, 'AGENT_RATE_LIMIT' | 'AGENT_RATE_WINDOW_SECONDS'>>;
  logger: Logger;
  accounts: AccountLookup;
  tokens: TokenServices;
  flags: FeatureFlags;
  fingerprints: FingerprintGenerator;
  conversations: ConversationRepository;
  /** Agents' keys (cached like deployment keys in production). */
  agents: Pick<AgentRepository, 'findAgentByKey'>;
  inbox: InboxRepository;
  /** Held event streams (guest and account): see live-delivery.ts. */
  live: { live: LiveEvents; retryMs: number };
  readiness?: Record<string, ReadinessCheck>;
  /** Given when start-up registers its own counters (store queries, cache lookups) on the same registry. */
  metrics?: Metrics;
  now?: () => number;
}

export const orchestratorOpenApi = () =>
  buildOpenApi(
    { title: 'Flex Webchat Orchestrator', version: '2.0.0', description: 'Public webchat API (through Starship)' },
    [...operationalRoutes, ...orchestratorRoutes],
  );

export function createApp(deps: OrchestratorDeps): ServiceApp {
  const metrics = deps.metrics ?? createMetrics('orchestrator');
  const minted = metrics.counter('webchat_tokens_issued_total', 'Guest tokens issued', ['fingerprint_bound']);
  const conversationsCreated = metrics.counter('webchat_conversations_created_total', 'Conversations created through WebChannels', []);
  return createServiceApp(
    {
      service: 'orchestrator',
      logger: deps.logger,
      metrics,
      body: { limit: deps.config.BODY_LIMIT_BYTES.toString(), allowForm: true },
      trustProxy: deps.config.TRUST_PROXY_HOPS,
      readiness: deps.readiness ?? {},
      openapi: orchestratorOpenApi(),
      before: [publicCors(deps.config.CORS_MAX_AGE_SECONDS)],
    },
    (app) => {
      app.use(guardPublicBody());
      mountWebchatTokenRoutes(app, {
        accounts: deps.accounts,
        tokens: deps.tokens,
        flags: deps.flags,
        fingerprints: deps.fingerprints,
        sessionMaxAgeSeconds: deps.config.SESSION_MAX_AGE_SECONDS,
        ...(deps.now ? { now: deps.now } : {}),
        onMinted: (bound) => minted.inc({ fingerprint_bound: String(bound) }),
      });
      const webChannels = {
        accounts: deps.accounts,
        tokens: deps.tokens,
        fingerprints: deps.fingerprints,
        conversations: deps.conversations,
        messageRateLimit: { messages: deps.config.GUEST_MESSAGE_LIMIT, windowSeconds: deps.config.GUEST_MESSAGE_WINDOW_SECONDS },
        onCreated: () => conversationsCreated.inc(),
      };
      // Before the WebChannels routes: `/:conversationSid/Events` is its own route, not a conversation read.
      mountWebChannelEventRoutes(app, { ...webChannels, live: deps.live.live, retryMs: deps.live.retryMs });
      mountWebChannelRoutes(app, webChannels);
      mountConversationRoutes(app, {
        agents: deps.agents,
        inbox: deps.inbox,
        rateLimit: { requests: deps.config.AGENT_RATE_LIMIT ?? 600, windowSeconds: deps.config.AGENT_RATE_WINDOW_SECONDS ?? 60 },
        live: deps.live.live,
        retryMs: deps.live.retryMs,
      });
    },
  );
}
