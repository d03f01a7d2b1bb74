import type { LDClient } from '@launchdarkly/node-server-sdk';
import { createMetrics, type ServiceApp } from '@webchat/http-kit';
import { logIdentityKeyBytes } from '@webchat/config';
import { createLogger, type Logger } from '@webchat/logger';
import { ServiceTokenSigner } from '@webchat/service-auth';
import { SERVICE_NAME, type OrchestratorConfig } from './config';
import { createApp } from './app';
import { createDatabase, type Database } from './data-access/pool';
import { createAccountRepository, type AccountRepository } from './data-access/account-repository';
import { createConversationRepository, type ConversationRepository } from './data-access/conversation-repository';
import { PgAccountChangeFeed } from './data-access/account-changes';
import { CachedAccountLookup } from './data-access/account-cache';
import { createLaunchDarklyClient } from './data-access/launchdarkly';
import { createTokenServices } from './data-access/token-services';
import { cachedTokenValidation } from './data-access/token-validation-cache';
import { createTokenFailureStore, TOKEN_FAILURES_CHANNEL, watchedTokenFailures, type TokenFailureStore } from './data-access/token-failures';
import { pruneTokenFailures, type TokenFailurePruner } from './domain/token-failure-pruning';
import { createIdentitySecretRepository, IdentitySecretSealer } from './data-access/identity-secrets';
import { cachedIdentitySecrets } from './data-access/identity-secret-cache';
import { createAgentRepository, type AgentRepository } from './data-access/agent-repository';
import { CachedAgentLookup } from './data-access/agent-cache';
import { createInboxRepository } from './data-access/inbox-repository';
import { startLiveDelivery, type LiveDelivery } from './live-delivery';
import { createRefusedOriginRepository, type RefusedOriginRepository } from './data-access/refused-origins';
import { createOriginRefusals, type OriginRefusals } from './domain/origin-refusals';
import type { AccountLookup } from './domain/accounts';
import { LaunchDarklyFlags } from './domain/feature-flags';
import { FingerprintGenerator } from './domain/fingerprint';
import { streamRevocation } from './domain/stream-revocation';

/** What a test may replace; everything else is wired exactly as in production. */
export interface OrchestratorOverrides {
  logger?: Logger;
  /** LaunchDarkly's TestData client, or one that never initialises (the fallback tests). */
  ldClient?: LDClient;
  /** Epoch seconds, for the session cap. */
  now?: () => number;
  /** The change feed's reconnect ceiling; tests that restart Postgres make it short. */
  feedMaxRetryDelayMs?: number;
  /** How often the failure counts of unusable tokens are pruned (default every 10 minutes). */
  tokenFailurePruneEveryMs?: number;
}

export interface Orchestrator extends ServiceApp {
  logger: Logger;
  db: Database;
  accounts: AccountRepository;
  conversations: ConversationRepository;
  /** The agent store itself (not the cache in front of it). */
  agents: AgentRepository;
  /** Refused origins as counted by the orchestrator, and their store. */
  refusals: OriginRefusals;
  refusedOrigins: RefusedOriginRepository;
  /** Account changes as every replica hears them: they keep the caches exact and end revoked streams. */
  feed: PgAccountChangeFeed;
  /** Fingerprint mismatches counted on any replica: they keep the failure memory exact and end killed tokens' streams. */
  failureFeed: PgAccountChangeFeed;
  /** Held event streams (guest and account) and their NOTIFY feed. */
  live: LiveDelivery;
  /** Prunes guest_token_failures on a timer; `run()` prunes now. */
  tokenFailurePruner: TokenFailurePruner;
  /** Ends every held stream with a retry hint: on SIGTERM, before the server waits for open requests. */
  drainStreams(): void;
  /** Releases the pool, the feed, LaunchDarkly and the keep-alive clients (after the server has closed). */
  close(): Promise<void>;
}

const secondsToMs = (nowSeconds: () => number) => () => nowSeconds() * 1000;

/** The one composition root: start.ts and the test harness both build the orchestrator here. */
export async function buildOrchestrator(config: OrchestratorConfig, overrides: OrchestratorOverrides = {}): Promise<Orchestrator> {
  const logger = overrides.logger ?? createLogger({ service: SERVICE_NAME, level: config.LOG_LEVEL, identityKey: logIdentityKeyBytes(config.LOG_IDENTITY_KEY) });
  const metrics = createMetrics(SERVICE_NAME);
  const storeQueries = metrics.counter('store_queries_total', 'Queries sent to Postgres');
  const cacheLookups = metrics.counter('account_cache_lookups_total', 'Account configuration lookups by result', ['result']);
  const db = createDatabase({
    connectionString: config.DATABASE_URL,
    max: config.DB_POOL_MAX,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    applicationName: SERVICE_NAME,
    onError: (err) => logger.warn('idle database connection failed', { err }),
    onQuery: () => storeQueries.inc(),
  });
  const repository = createAccountRepository(db);
  // Listened to with or without the caches: held streams end on a revocation only when one is heard of.
  const retry = overrides.feedMaxRetryDelayMs ? { maxRetryDelayMs: overrides.feedMaxRetryDelayMs } : {};
  const feed = new PgAccountChangeFeed(config.DATABASE_URL, logger, retry);
  const failureFeed = new PgAccountChangeFeed(config.DATABASE_URL, logger, { ...retry, channel: TOKEN_FAILURES_CHANNEL });
  await Promise.all([feed.start(), failureFeed.start()]);
  let accounts: AccountLookup = repository;
  const agentRepository = createAgentRepository(db);
  let agents: Pick<typeof agentRepository, 'findAgentByKey'> = agentRepository;
  const failureTable = createTokenFailureStore(db);
  let tokenFailures: TokenFailureStore = failureTable;
  let forgetPruned: (() => void) | undefined;
  if (config.ACCOUNT_CACHE_ENABLED) {
    const watched = watchedTokenFailures(failureTable, failureFeed);
    tokenFailures = watched;
    forgetPruned = () => watched.forgetPruned();
    accounts = new CachedAccountLookup(repository, feed, {
      maxEntries: config.ACCOUNT_CACHE_MAX_ENTRIES,
      onLookup: (result) => cacheLookups.inc({ result }),
    });
    agents = new CachedAgentLookup(agentRepository, feed, { maxEntries: config.ACCOUNT_CACHE_MAX_ENTRIES });
  }
  const tokenFailurePruner = pruneTokenFailures(failureTable, logger, {
    ...(overrides.tokenFailurePruneEveryMs ? { everyMs: overrides.tokenFailurePruneEveryMs } : {}),
    ...(forgetPruned ? { afterPrune: forgetPruned } : {}),
  });
  const live = await startLiveDelivery({
    databaseUrl: config.DATABASE_URL,
    db,
    logger,
    settings: config,
    ...(overrides.feedMaxRetryDelayMs ? { maxRetryDelayMs: overrides.feedMaxRetryDelayMs } : {}),
  });
  // Registered after the caches' own listeners, so a revocation is checked against fresh entries.
  const revocation = streamRevocation({
    live: live.live,
    accounts,
    agents: agentRepository,
    tokenFailures,
    tokenFailureLimit: config.TOKEN_FAILURE_LIMIT,
    onError: (err) => logger.warn('could not check held streams after a change; they reconnect', { err }),
  });
  feed.onChange((accountSid) => void revocation.accountChanged(accountSid));
  failureFeed.onChange((tokenHashHex) => void revocation.tokenFailed(tokenHashHex));
  // A change may have been missed: held streams reconnect and are checked afresh, as any request would be.
  const reconnectAll = () => live.live.reset();
  feed.onReset(reconnectAll);
  failureFeed.onReset(reconnectAll);
  const signer = new ServiceTokenSigner({ issuer: SERVICE_NAME, privateKey: config.serviceAuthPrivateKey });
  const tokenServices = createTokenServices({
    signer,
    federatedAuthUrl: config.FEDERATED_AUTH_URL,
    federatedAuthTimeoutMs: config.FEDERATED_AUTH_TIMEOUT_MS,
    scopedAuthUrl: config.SCOPED_AUTH_URL,
    scopedAuthTimeoutMs: config.SCOPED_AUTH_TIMEOUT_MS,
  });
  const validationLookups = metrics.counter('token_validation_cache_lookups_total', "Guest token validations by where the verdict came from (hit: reused; miss: asked scoped-auth; bypass: never cached)", ['result']);
  const tokens =
    config.TOKEN_VALIDATION_CACHE_SECONDS > 0
      ? cachedTokenValidation(tokenServices, {
          maxAgeMs: config.TOKEN_VALIDATION_CACHE_SECONDS * 1000,
          maxEntries: config.TOKEN_VALIDATION_CACHE_MAX_ENTRIES,
          onLookup: (result) => validationLookups.inc({ result }),
          ...(overrides.now ? { now: secondsToMs(overrides.now) } : {}),
        })
      : tokenServices;
  const ldClient = overrides.ldClient ?? createLaunchDarklyClient({ sdkKey: config.LAUNCHDARKLY_SDK_KEY, flagsFile: config.LAUNCHDARKLY_FLAGS_FILE, logger });
  const flags = new LaunchDarklyFlags(ldClient, config.WEBCHAT_SECURITY_FALLBACK, logger);
  // Not fatal: until LaunchDarkly answers, the configured fallback decides (default: security on).
  if (!overrides.ldClient) {
    ldClient.waitForInitialization({ timeout: config.LAUNCHDARKLY_INIT_TIMEOUT_SECONDS }).catch((err: unknown) => {
      logger.warn('LaunchDarkly not initialised; using the fallback until it is', { err, fallback: config.WEBCHAT_SECURITY_FALLBACK });
    });
  }
  const conversations = createConversationRepository(db);
  const refusedOrigins = createRefusedOriginRepository(db);
  const refusals = createOriginRefusals(refusedOrigins, logger);
  const service = createApp({
    refusals,
    config,
    logger,
    accounts,
    metrics,
    tokens,
    flags,
    fingerprints: new FingerprintGenerator(config.FINGERPRINT_SECRET),
    conversations,
    agents,
    inbox: createInboxRepository(db),
    live,
    revocation,
    tokenFailures,
    identitySecrets: cachedIdentitySecrets(
      createIdentitySecretRepository(db),
      new IdentitySecretSealer(config.IDENTITY_SECRETS_KEY),
      config.ACCOUNT_CACHE_ENABLED ? feed : undefined,
    ),
    readiness: {
      store: async () => {
        await db.ping();
        return true;
      },
    },
    ...(overrides.now ? { now: overrides.now } : {}),
  });
  return {
    ...service,
    logger,
    db,
    accounts: repository,
    conversations,
    agents: agentRepository,
    refusals,
    refusedOrigins,
    feed,
    failureFeed,
    live,
    tokenFailurePruner,
    drainStreams: () => live.live.drain(),
    async close() {
      tokenFailurePruner.stop();
      tokens.close();
      await refusals.close();
      await flags.close();
      await feed.close();
      await live.stop();
      await failureFeed.close();
      await db.close();
    },
  };
}
