import { createLogger } from '@webchat/logger';
import { createMetrics, exitOnSignals, listen, runService } from '@webchat/http-kit';
import { ServiceTokenSigner } from '@webchat/service-auth';
import { SERVICE_NAME, loadOrchestratorConfig } from './config';
import { createApp } from './app';
import { createDatabase } from './data-access/pool';
import { createAccountRepository } from './data-access/account-repository';
import { createConversationRepository } from './data-access/conversation-repository';
import { createTokenFailureStore, TOKEN_FAILURES_CHANNEL, watchedTokenFailures, type TokenFailureStore } from './data-access/token-failures';
import { createIdentitySecretRepository, IdentitySecretSealer } from './data-access/identity-secrets';
import { cachedIdentitySecrets } from './data-access/identity-secret-cache';
import { createRefusedOriginRepository } from './data-access/refused-origins';
import { createOriginRefusals } from './domain/origin-refusals';
import { PgAccountChangeFeed } from './data-access/account-changes';
import { CachedAccountLookup } from './data-access/account-cache';
import type { AccountLookup } from './domain/accounts';
import { createLaunchDarklyClient } from './data-access/launchdarkly';
import { createTokenServices } from './data-access/token-services';
import { LaunchDarklyFlags } from './domain/feature-flags';
import { FingerprintGenerator } from './domain/fingerprint';

async function main(): Promise<void> {
  const config = loadOrchestratorConfig();
  const logger = createLogger({ service: SERVICE_NAME, level: config.LOG_LEVEL });
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
  let feed: PgAccountChangeFeed | undefined;
  let failureFeed: PgAccountChangeFeed | undefined;
  let accounts: AccountLookup = repository;
  let tokenFailures: TokenFailureStore = createTokenFailureStore(db);
  if (config.ACCOUNT_CACHE_ENABLED) {
    feed = new PgAccountChangeFeed(config.DATABASE_URL, logger);
    failureFeed = new PgAccountChangeFeed(config.DATABASE_URL, logger, { channel: TOKEN_FAILURES_CHANNEL });
    await Promise.all([feed.start(), failureFeed.start()]);
    tokenFailures = watchedTokenFailures(createTokenFailureStore(db), failureFeed);
    accounts = new CachedAccountLookup(repository, feed, {
      maxEntries: config.ACCOUNT_CACHE_MAX_ENTRIES,
      onLookup: (result) => cacheLookups.inc({ result }),
    });
  }
  const signer = new ServiceTokenSigner({ issuer: SERVICE_NAME, privateKey: config.serviceAuthPrivateKey });
  const tokens = createTokenServices({
    signer,
    federatedAuthUrl: config.FEDERATED_AUTH_URL,
    federatedAuthTimeoutMs: config.FEDERATED_AUTH_TIMEOUT_MS,
    scopedAuthUrl: config.SCOPED_AUTH_URL,
    scopedAuthTimeoutMs: config.SCOPED_AUTH_TIMEOUT_MS,
  });
  const ldClient = createLaunchDarklyClient({ sdkKey: config.LAUNCHDARKLY_SDK_KEY, flagsFile: config.LAUNCHDARKLY_FLAGS_FILE, logger });
  const flags = new LaunchDarklyFlags(ldClient, config.WEBCHAT_SECURITY_FALLBACK, logger);
  // Not fatal: until LaunchDarkly answers, the configured fallback decides (default: security on).
  ldClient.waitForInitialization({ timeout: config.LAUNCHDARKLY_INIT_TIMEOUT_SECONDS }).catch((err: unknown) => {
    logger.warn('LaunchDarkly not initialised; using the fallback until it is', { err, fallback: config.WEBCHAT_SECURITY_FALLBACK });
  });

  const refusals = createOriginRefusals(createRefusedOriginRepository(db), logger);

  const { app, lifecycle } = createApp({
    refusals,
    config,
    logger,
    accounts,
    metrics,
    tokens,
    flags,
    fingerprints: new FingerprintGenerator(config.FINGERPRINT_SECRET),
    conversations: createConversationRepository(db),
    tokenFailures,
    identitySecrets: cachedIdentitySecrets(createIdentitySecretRepository(db), new IdentitySecretSealer(config.IDENTITY_SECRETS_KEY), feed),
    readiness: {
      store: async () => {
        await db.ping();
        return true;
      },
    },
  });
  const running = await listen({ app, port: config.PORT, host: config.HOST, lifecycle });
  logger.info('listening', { url: running.url });
  exitOnSignals(running, logger, async () => {
    tokens.close();
    await refusals.close();
    await flags.close();
    await feed?.close();
    await failureFeed?.close();
    await db.close();
  });
}

runService(SERVICE_NAME, main);
