import { randomBytes } from 'node:crypto';
import { integrations, init, type LDClient } from '@launchdarkly/node-server-sdk';
import { listen, type RunningServer } from '@webchat/http-kit';
import { createTestDatabase } from '@webchat/testkit';
import { buildOrchestrator } from '@webchat/orchestrator/src/compose';
import { orchestratorEnv } from '@webchat/orchestrator/src/config';
import type { Database } from '@webchat/orchestrator/src/data-access/pool';
import { createIdentitySecretRepository, generateIdentitySecret, IdentitySecretSealer } from '@webchat/orchestrator/src/data-access/identity-secrets';
import type { AccountRepository } from '@webchat/orchestrator/src/data-access/account-repository';
import type { AgentKind, AgentRepository } from '@webchat/orchestrator/src/data-access/agent-repository';
import type { LiveDelivery } from '@webchat/orchestrator/src/live-delivery';
import type { ConversationRepository } from '@webchat/orchestrator/src/data-access/conversation-repository';
import type { PgAccountChangeFeed } from '@webchat/orchestrator/src/data-access/account-changes';
import type { RefusedOriginRepository } from '@webchat/orchestrator/src/data-access/refused-origins';
import type { OriginRefusals } from '@webchat/orchestrator/src/domain/origin-refusals';
import { WEBCHAT_SECURITY_FLAG } from '@webchat/orchestrator/src/domain/feature-flags';
import type { FingerprintSensitivity } from '@webchat/orchestrator/src/domain/fingerprint';
import { startFederatedAuth } from './federated-auth';
import { ServiceIdentities } from './keys';
import { captureLogs } from './logs';
import { startScopedAuth, type ScopedAuthUnderTest } from './scoped-auth';

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
  /** Live stream limits (default 5 per holder, 5000 per process) and heartbeat. */
  streams?: { perHolder?: number; perProcess?: number; heartbeatSeconds?: number };
  /** Requests per agent key and window (default 600 per 60 s). */
  agentRateLimit?: { requests: number; windowSeconds: number };
  /** How long after expiry a previous token still proves its identity (default 30 days, as in production). */
  previousTokenGraceSeconds?: number;
  /** Fingerprint mismatches that kill a token (default 5). */
  tokenFailureLimit?: number;
  /** Proxies whose X-Forwarded-For is believed (default loopback, as in development). */
  trustedProxies?: string[];
  /** Seconds scoped-auth's verdict on a guest token is reused (default 0: off, as in production). */
  tokenValidationCacheSeconds?: number;
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
  agents: AgentRepository;
  live: LiveDelivery;
  /** An agent (or bot) of the account and its `wk_` key. */
  addAgent(accountSid: string, name?: string, kind?: AgentKind): Promise<{ agentSid: string; key: string }>;
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
  const identities = new ServiceIdentities();
  const logs = { orchestrator: captureLogs('orchestrator'), federated: captureLogs('federated-auth'), scoped: captureLogs('scoped-auth') };

  const scopedAuth = await startScopedAuth({
    services: identities,
    logger: logs.scoped.logger,
    ...(options.scopedAuthNow ? { now: options.scopedAuthNow } : {}),
  });
  const federated = await startFederatedAuth({ services: identities, scopedAuthUrl: scopedAuth.url, logger: logs.federated.logger });

  const td = new integrations.TestData();
  td.update(td.flag(WEBCHAT_SECURITY_FLAG).booleanFlag().variationForAll(false));
  const ldClient = options.ldClient ?? init('test-sdk-key', { updateProcessor: td.getFactory(), sendEvents: false, diagnosticOptOut: true });
  if (!options.ldClient) await ldClient.waitForInitialization({ timeout: 5 });
  // Production's defaults for everything the test does not name (the schema fills them in).
  const config = {
    ...orchestratorEnv.parse({
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      DB_POOL_MAX: '5',
      // A cold connection on a busy CI machine can take over a second; production's 2 s default is for a warm pool.
      DB_CONNECT_TIMEOUT_MS: '5000',
      FEDERATED_AUTH_URL: options.federatedAuthUrl ?? federated.url,
      FEDERATED_AUTH_TIMEOUT_MS: String(options.federatedAuthTimeoutMs ?? 2000),
      SCOPED_AUTH_URL: scopedAuth.url,
      WEBCHAT_SECURITY_FALLBACK: String(options.fallback ?? true),
      FINGERPRINT_SECRET: randomBytes(32).toString('base64url'),
      SESSION_MAX_AGE_SECONDS: String(options.sessionMaxAgeSeconds ?? 86_400),
      ACCOUNT_CACHE_ENABLED: String(options.accountCache ?? false),
      GUEST_MESSAGE_LIMIT: String(options.guestMessageLimit?.messages ?? 30),
      GUEST_MESSAGE_WINDOW_SECONDS: String(options.guestMessageLimit?.windowSeconds ?? 60),
      TRUSTED_PROXIES: (options.trustedProxies ?? ['loopback']).join(','),
      PREVIOUS_TOKEN_GRACE_SECONDS: String(options.previousTokenGraceSeconds ?? 30 * 86_400),
      TOKEN_FAILURE_LIMIT: String(options.tokenFailureLimit ?? 5),
      TOKEN_VALIDATION_CACHE_SECONDS: String(options.tokenValidationCacheSeconds ?? 0),
      IDENTITY_SECRETS_KEY: randomBytes(32).toString('base64url'),
      LOG_IDENTITY_KEY: randomBytes(32).toString('base64url'),
      AGENT_RATE_LIMIT: String(options.agentRateLimit?.requests ?? 600),
      AGENT_RATE_WINDOW_SECONDS: String(options.agentRateLimit?.windowSeconds ?? 60),
      STREAMS_PER_HOLDER: String(options.streams?.perHolder ?? 5),
      STREAMS_PER_PROCESS: String(options.streams?.perProcess ?? 5000),
      STREAM_HEARTBEAT_SECONDS: String(options.streams?.heartbeatSeconds ?? 15),
      STREAM_RETRY_MS: '200',
      SERVICE_AUTH_PRIVATE_KEY: 'given as a key object below',
    }),
    serviceAuthPrivateKey: identities.privateKeys.orchestrator,
    contractViolations: 'fail' as const,
  };
  const orchestratorService = await buildOrchestrator(config, {
    logger: logs.orchestrator.logger,
    ldClient,
    feedMaxRetryDelayMs: 200,
    ...(options.now ? { now: options.now } : {}),
  });
  const orchestrator: RunningServer = await listen({
    app: orchestratorService.app,
    port: 0,
    lifecycle: orchestratorService.lifecycle,
    drainTimeoutMs: 1000,
  });
  const { db, accounts, conversations, feed, refusals, refusedOrigins, agents, live } = orchestratorService;
  // What `webchat-admin identity-secret rotate` does, under the orchestrator's own key.
  const sealer = new IdentitySecretSealer(config.IDENTITY_SECRETS_KEY);
  const identitySecretRepository = createIdentitySecretRepository(db);

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
    agents,
    live,
    async addAgent(accountSid, name = 'Ada', kind = 'agent') {
      const added = await agents.addAgent({ accountSid, friendlyName: name, kind });
      return { agentSid: added.agentSid, key: added.key };
    },
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
      orchestratorService.drainStreams();
      await orchestrator.close();
      await orchestratorService.close();
      await federated.close();
      await scopedAuth.close();
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
