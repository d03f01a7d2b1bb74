import type { Logger } from '@webchat/logger';
import { buildOpenApi, operationalRoutes, orchestratorRoutes, webhookDeclarations } from '@webchat/contracts';
import { createServiceApp, type ContractViolations, type Metrics, type ReadinessCheck, type ServiceApp } from '@webchat/http-kit';
import type { OrchestratorConfig } from './config';
import type { AccountLookup } from './domain/accounts';
import type { FeatureFlags } from './domain/feature-flags';
import type { FingerprintGenerator } from './domain/fingerprint';
import type { Guest, WebChannelDeps } from './domain/web-channels';
import type { TokenServices } from './data-access/token-services';
import type { ConversationRepository } from './data-access/conversation-repository';
import { storeProblem } from './data-access/pool';
import type { TokenFailureStore } from './data-access/token-failures';
import type { IdentitySecretLookup } from './data-access/identity-secret-cache';
import { publicCors } from './routes/cors';
import { guardPublicBody } from './routes/body-guard';
import { mountWebchatTokenRoutes } from './routes/webchat-token';
import { guestStep, mountWebChannelRoutes } from './routes/web-channels';
import { mountWebChannelEventRoutes } from './routes/web-channel-events';
import { mountConversationRoutes } from './routes/conversations';
import type { AgentRepository } from './data-access/agent-repository';
import type { InboxRepository } from './data-access/inbox-repository';
import type { LiveEvents } from './domain/live-events';
import { mountPublicOpenApiRoute } from './routes/public-openapi';
import { mountWebchatConfigurationRoute } from './routes/webchat-configuration';
import type { OriginRefusals } from './domain/origin-refusals';

export interface OrchestratorDeps {
  config: Pick<
    OrchestratorConfig,
    | 'BODY_LIMIT_BYTES'
    | 'CORS_MAX_AGE_SECONDS'
    | 'SESSION_MAX_AGE_SECONDS'
    | 'TRUSTED_PROXIES'
    | 'GUEST_MESSAGE_LIMIT'
    | 'GUEST_MESSAGE_WINDOW_SECONDS'
    | 'PREVIOUS_TOKEN_GRACE_SECONDS'
    | 'TOKEN_FAILURE_LIMIT'
  > &
    Partial<Pick<OrchestratorConfig, 'AGENT_RATE_LIMIT' | 'AGENT_RATE_WINDOW_SECONDS'>> & { contractViolations?: ContractViolations };
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
  /** Fingerprint mismatches per token, shared by every replica. */
  tokenFailures: TokenFailureStore;
  /** The opened identity secrets of an account (cached). */
  identitySecrets: IdentitySecretLookup;
  /** Counts the origins the allowed-origin check refused, per account (for `webchat-admin origins refused`). */
  refusals?: OriginRefusals;
  readiness?: Record<string, ReadinessCheck>;
  /** Given when start-up registers its own counters (store queries, cache lookups) on the same registry. */
  metrics?: Metrics;
  now?: () => number;
}

const ORCHESTRATOR_INFO = { title: 'Flex Webchat Orchestrator', version: '2.0.0', description: 'Public webchat API (through Starship)' };

export const orchestratorOpenApi = () => buildOpenApi(ORCHESTRATOR_INFO, [...operationalRoutes, ...orchestratorRoutes], webhookDeclarations);

/** What Starship publishes at /v2/openapi.json: the routes a browser or an integrator may call, nothing internal. */
export const publicOpenApi = () =>
  buildOpenApi(
    { title: 'Webchat public API', version: '2.0.0', description: 'The routes Starship serves; errors are RFC 9457 problem details with a stable code' },
    orchestratorRoutes,
  );

export function createApp(deps: OrchestratorDeps): ServiceApp {
  // Every use of a guest token meets the same checks: the shared mismatch count and its limit.
  const tokenChecks = {
    tokenFailures: deps.tokenFailures,
    tokenFailureLimit: deps.config.TOKEN_FAILURE_LIMIT,
    previousTokenGraceSeconds: deps.config.PREVIOUS_TOKEN_GRACE_SECONDS,
  };
  const webChannels: WebChannelDeps = {
    ...tokenChecks,
    accounts: deps.accounts,
    tokens: deps.tokens,
    fingerprints: deps.fingerprints,
    conversations: deps.conversations,
    messageRateLimit: { messages: deps.config.GUEST_MESSAGE_LIMIT, windowSeconds: deps.config.GUEST_MESSAGE_WINDOW_SECONDS },
    ...(deps.refusals ? { refusals: deps.refusals } : {}),
  };
  return createServiceApp<Guest>(
    {
      service: 'orchestrator',
      logger: deps.logger,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
      body: { limit: deps.config.BODY_LIMIT_BYTES.toString(), allowForm: true },
      trustProxy: deps.config.TRUSTED_PROXIES,
      readiness: deps.readiness ?? {},
      api: { info: ORCHESTRATOR_INFO, routes: orchestratorRoutes, webhooks: webhookDeclarations },
      guest: guestStep(webChannels),
      knownErrors: storeProblem,
      ...(deps.config.contractViolations ? { contractViolations: deps.config.contractViolations } : {}),
      before: [publicCors(deps.config.CORS_MAX_AGE_SECONDS)],
    },
    (app, routes) => {
      app.use(guardPublicBody());
      mountWebchatConfigurationRoute(routes, { accounts: deps.accounts, ...(deps.refusals ? { refusals: deps.refusals } : {}) });
      mountPublicOpenApiRoute(routes, publicOpenApi());
      mountWebchatTokenRoutes(routes, {
        ...tokenChecks,
        identitySecrets: deps.identitySecrets,
        ...(deps.refusals ? { refusals: deps.refusals } : {}),
        accounts: deps.accounts,
        tokens: deps.tokens,
        flags: deps.flags,
        fingerprints: deps.fingerprints,
        sessionMaxAgeSeconds: deps.config.SESSION_MAX_AGE_SECONDS,
        ...(deps.now ? { now: deps.now } : {}),
      });
      // Before the WebChannels routes: `/:conversationSid/Events` is its own route, not a conversation read.
      mountWebChannelEventRoutes(routes, { ...webChannels, live: deps.live.live, retryMs: deps.live.retryMs });
      mountConversationRoutes(routes, {
        agents: deps.agents,
        inbox: deps.inbox,
        rateLimit: { requests: deps.config.AGENT_RATE_LIMIT ?? 600, windowSeconds: deps.config.AGENT_RATE_WINDOW_SECONDS ?? 60 },
        live: deps.live.live,
        retryMs: deps.live.retryMs,
      });
      mountWebChannelRoutes(routes, webChannels);
    },
  );
}
