import { PassThrough } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { integrations, init, type LDClient } from '@launchdarkly/node-server-sdk';
import { InternalClient } from '@webchat/internal-client';
import { listen, type RunningServer } from '@webchat/http-kit';
import { createLogger, type Logger } from '@webchat/logger';
import { createTestDatabase } from '@webchat/testkit';
import { createApp as createFederatedApp } from '../../../federated-auth/src/app';
import { startScopedAuth, type ScopedAuthUnderTest } from '../../../scoped-auth/test/support/scoped-auth';
import { ServiceIdentities } from '../../../scoped-auth/test/support/keys';
import { createApp } from '../../src/app';
import { createDatabase, type Database } from '../../src/data-access/pool';
import { createAccountRepository, type AccountRepository } from '../../src/data-access/account-repository';
import { createRefusedOriginRepository, type RefusedOriginRepository } from '../../src/data-access/refused-origins';
import { createOriginRefusals, type OriginRefusals } from '../../src/domain/origin-refusals';
import { createConversationRepository, type ConversationRepository } from '../../src/data-access/conversation-repository';
import { PgAccountChangeFeed } from '../../src/data-access/account-changes';
import { CachedAccountLookup } from '../../src/data-access/account-cache';
import { createTokenServices } from '../../src/data-access/token-services';
import { LaunchDarklyFlags, WEBCHAT_SECURITY_FLAG } from '../../src/domain/feature-flags';
import { FingerprintGenerator, type FingerprintSensitivity } from '../../src/domain/fingerprint';
import { createTokenFailureStore, TOKEN_FAILURES_CHANNEL, watchedTokenFailures } from '../../src/data-access/token-failures';
import { createIdentitySecretRepository, generateIdentitySecret, IdentitySecretSealer } from '../../src/data-access/identity-secrets';
import { cachedIdentitySecrets } from '../../src/data-access/identity-secret-cache';

/** A logger whose JSON lines a test can read back. */
export function captureLogs(service: string): { logger: Logger; lines: () => string[] } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  return { logger: createLogger({ service, level: 'debug', stream }), lines: () => chunks.join('').split('\n').filter(Boolean) };
}

export interface SystemOptions {
  /** Where the orchestrator sends mint calls; default the real federated-auth started here. */
  federatedAuthUrl?: string;
  federatedAuthTimeoutMs?: number;
  sessionMaxAgeSeconds?: number;
  /** Guest messages per conversation and window (default 30 per 60 s, as in production). */
  guestMessageLimit?: { messages: number; windowSeconds: number };
  /** Epoch seconds, for the orchestrator's session cap. */
  now?: () => number;
  /** LaunchDarkly: TestData by default; a client that never initialises for the fallback tests. */
  ldClient?: LDClient;
  fallback?: boolean;
  /** Epoch seconds, scoped-auth's clock: tokens validated "later" without waiting. */
  scopedAuthNow?: () => number;
  /** A database of the test's own (e.g. a cluster it stops and starts); default a fresh one from the template. */
  databaseUrl?: string;
  /** Cache account configuration across requests, kept exact by LISTEN/NOTIFY (as start.ts does). */
  accountCache?: boolean;
  /** How long after expiry a previous token still proves its identity (default 30 days, as in production). */
  previousTokenGraceSeconds?: number;
  /** Fingerprint mismatches that kill a token (default 5). */
  tokenFailureLimit?: number;
  /** Proxies whose X-Forwarded-For is believed (default loopback, as in development). */
  trustedProxies?: string[];
}

export interface SystemUnderTest {
  orchestratorUrl: string;
  /** The system's own database, for a test that drives webchat-admin or another orchestrator process against it. */
  databaseUrl: string;
  federatedAuthUrl: string;
  scopedAuth: ScopedAuthUnderTest;
  flags: InstanceType<typeof integrations.TestData>;
  db: Database;
  accounts: AccountRepository;
  /** The services' key pairs, for a test that starts another process of one of them. */
  identities: ServiceIdentities;
  /** The change feed of the account cache, when `accountCache` is on. */
  feed: PgAccountChangeFeed | undefined;
  conversations: ConversationRepository;
  /** Refused origins as counted by the orchestrator; `flush()` writes what is pending at once. */
  refusals: OriginRefusals;
  refusedOrigins: RefusedOriginRepository;
  logs: { orchestrator: () => string[]; federatedAuth: () => string[]; scopedAuth: () => string[] };
  /** Mint calls that reached federated-auth (its own request counter, read from /metrics). */
  federatedTokenCalls(): Promise<number>;
  setSecurityFlag(on: boolean): void;
  /** What `webchat-admin identity-secret rotate` does: a new identity secret for the account, returned once. */
  rotateIdentitySecret(accountSid: string): Promise<string>;
  createAccount(settings?: {
    allowedOrigins?: string[];
    fingerprintSensitivity?: FingerprintSensitivity;
    tokenTtlSeconds?: number;
    welcomeMessage?: string;
    widget?: unknown;
  }): Promise<{ accountSid: string; deploymentKey: string; keyId: string }>;
  stop(): Promise<void>;
}

/**
 * The right half of the diagram for real: private Postgres (a fresh database from the migrated
 * template), scoped-auth, federated-auth and the orchestrator, each on an ephemeral port, over HTTP.
 */
export async function startSystem(options: SystemOptions = {}): Promise<SystemUnderTest> {
  const database = options.databaseUrl ? { url: options.databaseUrl, drop: async () => {} } : await createTestDatabase();
  const db = createDatabase({ connectionString: database.url, max: 5, connectTimeoutMs: 1000, statementTimeoutMs: 2000 });
  const accounts = createAccountRepository(db);
  const feed = options.accountCache ? new PgAccountChangeFeed(database.url, captureLogs('orchestrator').logger, { maxRetryDelayMs: 200 }) : undefined;
  await feed?.start();
  const failureFeed = options.accountCache
    ? new PgAccountChangeFeed(database.url, captureLogs('orchestrator').logger, { maxRetryDelayMs: 200, channel: TOKEN_FAILURES_CHANNEL })
    : undefined;
  await failureFeed?.start();
  const conversations = createConversationRepository(db);
  const identities = new ServiceIdentities();
  const logs = { orchestrator: captureLogs('orchestrator'), federated: captureLogs('federated-auth'), scoped: captureLogs('scoped-auth') };

  const scopedAuth = await startScopedAuth({
    services: identities,
    logger: logs.scoped.logger,
    ...(options.scopedAuthNow ? { now: options.scopedAuthNow } : {}),
  });
  const scopedClient = new InternalClient({ service: 'scoped-auth', baseUrl: scopedAuth.url, signer: identities.signer('federated-auth'), timeoutMs: 2000 });
  const federatedApp = createFederatedApp({
    config: { defaultTokenTtlSeconds: 3600 },
    logger: logs.federated.logger,
    verifier: identities.verifier('federated-auth'),
    scopedAuth: scopedClient,
  });
  const federated: RunningServer = await listen({ app: federatedApp.app, port: 0, lifecycle: federatedApp.lifecycle, drainTimeoutMs: 1000 });

  const td = new integrations.TestData();
  td.update(td.flag(WEBCHAT_SECURITY_FLAG).booleanFlag().variationForAll(false));
  const ldClient = options.ldClient ?? init('test-sdk-key', { updateProcessor: td.getFactory(), sendEvents: false, diagnosticOptOut: true });
  if (!options.ldClient) await ldClient.waitForInitialization({ timeout: 5 });
  const tokens = createTokenServices({
    signer: identities.signer('orchestrator'),
    federatedAuthUrl: options.federatedAuthUrl ?? federated.url,
    federatedAuthTimeoutMs: options.federatedAuthTimeoutMs ?? 2000,
    scopedAuthUrl: scopedAuth.url,
    scopedAuthTimeoutMs: 2000,
  });
  const flags = new LaunchDarklyFlags(ldClient, options.fallback ?? true, logs.orchestrator.logger);
  const sealer = new IdentitySecretSealer(randomBytes(32).toString('base64url'));
  const identitySecretRepository = createIdentitySecretRepository(db);
  const refusedOrigins = createRefusedOriginRepository(db);
  const refusals = createOriginRefusals(refusedOrigins, logs.orchestrator.logger);
  const orchestratorApp = createApp({
    refusals,
    config: {
      BODY_LIMIT_BYTES: 32 * 1024,
      CORS_MAX_AGE_SECONDS: 600,
      SESSION_MAX_AGE_SECONDS: options.sessionMaxAgeSeconds ?? 86_400,
      TRUSTED_PROXIES: options.trustedProxies ?? ['loopback'],
      PREVIOUS_TOKEN_GRACE_SECONDS: options.previousTokenGraceSeconds ?? 30 * 86_400,
      TOKEN_FAILURE_LIMIT: options.tokenFailureLimit ?? 5,
      GUEST_MESSAGE_LIMIT: options.guestMessageLimit?.messages ?? 30,
      GUEST_MESSAGE_WINDOW_SECONDS: options.guestMessageLimit?.windowSeconds ?? 60,
    },
    logger: logs.orchestrator.logger,
    accounts: feed ? new CachedAccountLookup(accounts, feed) : accounts,
    tokens,
    flags,
    fingerprints: new FingerprintGenerator(randomBytes(32).toString('base64url')),
    conversations,
    tokenFailures: failureFeed ? watchedTokenFailures(createTokenFailureStore(db), failureFeed) : createTokenFailureStore(db),
    identitySecrets: cachedIdentitySecrets(identitySecretRepository, sealer, feed),
    readiness: { store: async () => (await db.ping(), true) },
    ...(options.now ? { now: options.now } : {}),
  });
  const orchestrator = await listen({ app: orchestratorApp.app, port: 0, lifecycle: orchestratorApp.lifecycle, drainTimeoutMs: 1000 });

  return {
    orchestratorUrl: orchestrator.url,
    databaseUrl: database.url,
    federatedAuthUrl: federated.url,
    scopedAuth,
    flags: td,
    db,
    accounts,
    identities,
    feed,
    conversations,
    refusals,
    refusedOrigins,
    logs: { orchestrator: logs.orchestrator.lines, federatedAuth: logs.federated.lines, scopedAuth: logs.scoped.lines },
    async federatedTokenCalls() {
      const text = await (await fetch(`${federated.url}/metrics`)).text();
      return text
        .split('\n')
        .filter((line) => line.startsWith('http_requests_total{') && line.includes('route="/v1/Accounts/:accountSid/Tokens"'))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    },
    setSecurityFlag(on) {
      td.update(td.flag(WEBCHAT_SECURITY_FLAG).booleanFlag().variationForAll(on));
    },
    async rotateIdentitySecret(accountSid) {
      const secret = generateIdentitySecret();
      await identitySecretRepository.rotate(accountSid, sealer.seal(accountSid, secret));
      return secret;
    },
    async createAccount(settings = {}) {
      const account = await accounts.createAccount({ friendlyName: `Test ${randomBytes(3).toString('hex')}` });
      const key = await accounts.issueDeploymentKey(account.accountSid);
      await accounts.updateConfiguration(account.accountSid, {
        allowedOrigins: settings.allowedOrigins ?? [],
        fingerprintSensitivity: settings.fingerprintSensitivity ?? 'medium',
        ...(settings.tokenTtlSeconds ? { tokenTtlSeconds: settings.tokenTtlSeconds } : {}),
        ...(settings.welcomeMessage ? { welcomeMessage: settings.welcomeMessage } : {}),
        ...(settings.widget !== undefined ? { widget: settings.widget } : {}),
      });
      return { accountSid: account.accountSid, deploymentKey: key.key, keyId: key.id };
    },
    async stop() {
      await orchestrator.close();
      await refusals.close();
      await federated.close();
      await scopedAuth.close();
      tokens.close();
      scopedClient.close();
      ldClient.close();
      await feed?.close();
      await failureFeed?.close();
      await db.close();
      await database.drop();
    },
  };
}

/** The widget's security headers and a browser's, as one client would send them. */
export function browserHeaders(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36',
    'accept-language': 'en-GB,en;q=0.9',
    'x-webchat-sec-usersettings': JSON.stringify({ language: 'en-GB', cookieEnabled: true, timezoneOffset: 0 }),
    'x-webchat-sec-decoders': JSON.stringify({ 'video/webm': true, 'audio/mp4': true }),
    'x-webchat-sec-webchatinfo': JSON.stringify({ loginTimestamp: 1_780_000_000_000 }),
    ...overrides,
  };
}
