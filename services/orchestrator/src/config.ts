import { randomBytes, type KeyObject } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { EXPIRED_GRACE_MAX_SECONDS } from '@webchat/contracts';
import {
  ConfigError,
  contractViolationsFor,
  defaultDevSecretsDir,
  ensureDevSecret,
  envBoolean,
  envInt,
  envLogLevel,
  envPort,
  isProductionEnv,
  loadConfig,
  logIdentityKeyEnv,
  withDevLogIdentityKey,
} from '@webchat/config';
import { readServicePrivateKey, servicePrivateKeyEnv, withDevServiceKeys } from '@webchat/service-auth';

export const SERVICE_NAME = 'orchestrator';

/** The local system's private cluster; production must say where its database is. */
export const DEV_DATABASE_URL = 'postgres://postgres@127.0.0.1:54320/webchat';

export const orchestratorEnv = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development').describe('production: every secret must be given; no generated defaults'),
  PORT: envPort(4000).describe('Port to listen on'),
  HOST: z.string().default('127.0.0.1').describe('Interface to bind; 0.0.0.0 in a container'),
  LOG_LEVEL: envLogLevel.describe('winston level: error, warn, info, debug'),
  DATABASE_URL: z.url().default(DEV_DATABASE_URL).describe('Postgres connection URL. Secret (holds the password).'),
  DB_POOL_MAX: envInt(10, { min: 1, max: 100 }).describe('Postgres connections per process'),
  DB_CONNECT_TIMEOUT_MS: envInt(2000, { min: 100 }).describe('Wait for a connection before answering 503 store_unavailable'),
  DB_STATEMENT_TIMEOUT_MS: envInt(2000, { min: 100 }).describe('Server-side statement timeout'),
  FEDERATED_AUTH_URL: z.url().default('http://127.0.0.1:4100').describe('Base URL of federated-auth'),
  FEDERATED_AUTH_TIMEOUT_MS: envInt(3000, { min: 50 }).describe('Deadline of one mint call; beyond it, 504'),
  SCOPED_AUTH_URL: z.url().default('http://127.0.0.1:4200').describe('Base URL of scoped-auth (token validation)'),
  SCOPED_AUTH_TIMEOUT_MS: envInt(2000, { min: 50 }).describe('Deadline of one validation call; beyond it, 504'),
  LAUNCHDARKLY_SDK_KEY: z.string().optional().describe('LaunchDarkly server SDK key. Secret. Without it the flags file is used.'),
  LAUNCHDARKLY_FLAGS_FILE: z.string().default(path.resolve(__dirname, '../flags/webchat-flags.json')).describe('Offline flags (used without an SDK key): services/orchestrator/flags/webchat-flags.json'),
  LAUNCHDARKLY_INIT_TIMEOUT_SECONDS: envInt(5, { min: 1, max: 60 }).describe('How long start-up waits for LaunchDarkly before relying on the fallback'),
  WEBCHAT_SECURITY_FALLBACK: envBoolean(true).describe('Flag value when LaunchDarkly is not ready or fails (secure side: on)'),
  FINGERPRINT_SECRET: z.string().min(32).describe('HMAC key for fingerprints (≥ 32 chars). Secret; generated in development.'),
  SESSION_MAX_AGE_SECONDS: envInt(86_400, { min: 60 }).describe('Absolute cap on refreshing a session, from its first token'),
  ACCOUNT_CACHE_ENABLED: envBoolean(true).describe('Cache account configuration across requests (kept exact by LISTEN/NOTIFY)'),
  ACCOUNT_CACHE_MAX_ENTRIES: envInt(10_000, { min: 1 }).describe('Cached deployment keys and accounts (LRU)'),
  TRUSTED_PROXIES: z
    .string()
    .default('loopback')
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)$/, 'must be an address, a CIDR range, loopback, linklocal or uniquelocal')).min(1))
    .describe("Comma-separated addresses or CIDR ranges of Starship (the only proxy whose X-Forwarded-For is believed); loopback, linklocal and uniquelocal name those ranges. Anyone else's forwarded headers are ignored"),
  PREVIOUS_TOKEN_GRACE_SECONDS: envInt(30 * 86_400, { min: 0, max: EXPIRED_GRACE_MAX_SECONDS }).describe(
    "How long after its expiry a guest's previous token still proves its identity (0: never)",
  ),
  TOKEN_VALIDATION_CACHE_SECONDS: envInt(0, { min: 0, max: 300 }).describe(
    "Off by default. How long scoped-auth's acceptance of a guest token (for the same fingerprint signals) is reused instead of asking again: ~45% more conversation creates per second, but a key withdrawn from scoped-auth, or scoped-auth being down, is noticed that much later for tokens in use. Revocations and mismatch counts are checked on every use regardless",
  ),
  TOKEN_VALIDATION_CACHE_MAX_ENTRIES: envInt(20_000, { min: 1 }).describe('Guest token verdicts kept in memory (LRU), about 1.2 KB each'),
  TOKEN_FAILURE_LIMIT: envInt(5, { min: 1, max: 100 }).describe('Fingerprint mismatches after which a token is dead for every later use, on every replica'),
  IDENTITY_SECRETS_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 random bytes, base64url (43 characters)')
    .describe("AES-256-GCM key the accounts' identity secrets (and webhook signing secrets) are stored under. Secret; generated in development. The CLI and the webhook dispatcher need the same value"),
  BODY_LIMIT_BYTES: envInt(32 * 1024, { min: 1024, max: 1024 * 1024 }).describe("Largest request body; Starship's client_max_body_size matches it"),
  GUEST_MESSAGE_LIMIT: envInt(30, { min: 1, max: 10_000 }).describe('Guest messages one conversation accepts per window; beyond it 429 rate_limited with Retry-After'),
  GUEST_MESSAGE_WINDOW_SECONDS: envInt(60, { min: 1, max: 86_400 }).describe('The fixed window GUEST_MESSAGE_LIMIT counts in'),
  STREAMS_PER_HOLDER: envInt(5, { min: 1, max: 100 }).describe('Live event streams one guest token or agent key may hold (tabs); beyond it 429 with Retry-After'),
  STREAMS_PER_PROCESS: envInt(5000, { min: 1, max: 100_000 }).describe('Live event streams one orchestrator process holds; beyond it 503 streams_unavailable with Retry-After'),
  STREAM_HEARTBEAT_SECONDS: envInt(15, { min: 1, max: 300 }).describe('Comment frames on idle streams, so proxies keep them open (Starship reads for 1 h)'),
  STREAM_RETRY_MS: envInt(1000, { min: 100, max: 60_000 }).describe('The SSE retry hint, also sent when the process drains (SIGTERM)'),
  AGENT_RATE_LIMIT: envInt(600, { min: 1, max: 100_000 }).describe('Requests one agent key may make per window, per replica; beyond it 429 rate_limited'),
  AGENT_RATE_WINDOW_SECONDS: envInt(60, { min: 1, max: 3600 }).describe('The fixed window AGENT_RATE_LIMIT counts in'),
  CORS_MAX_AGE_SECONDS: envInt(600, { min: 0, max: 86_400 }).describe('How long browsers may cache a preflight'),
  LOG_IDENTITY_KEY: logIdentityKeyEnv,
  // The orchestrator only calls other services; nothing calls it with a service token, so it holds no public keys.
  SERVICE_AUTH_PRIVATE_KEY: servicePrivateKeyEnv,
});

export interface OrchestratorConfig extends z.output<typeof orchestratorEnv> {
  /** SERVICE_AUTH_PRIVATE_KEY, parsed once. */
  serviceAuthPrivateKey: KeyObject;
  contractViolations: 'fail' | 'report';
}

export const ORCHESTRATOR_SECRETS = ['DATABASE_URL', 'FINGERPRINT_SECRET', 'IDENTITY_SECRETS_KEY', 'LOG_IDENTITY_KEY', 'SERVICE_AUTH_PRIVATE_KEY'] as const;

/** The CLI (which seals identity and webhook secrets), the orchestrator and the dispatcher (which open them) share this dev key. */
export const devIdentitySecretsKey = (devDir: string) =>
  ensureDevSecret(devDir, 'orchestrator/identity-secrets-key', () => randomBytes(32).toString('base64url'));

/** Outside production an unset IDENTITY_SECRETS_KEY is the dev key, so the CLI, the dispatcher and the orchestrator agree. */
export const withDevIdentitySecretsKey = (env: NodeJS.ProcessEnv, devDir: string): NodeJS.ProcessEnv =>
  isProductionEnv(env) || env.IDENTITY_SECRETS_KEY ? env : { ...env, IDENTITY_SECRETS_KEY: devIdentitySecretsKey(devDir) };

/** Development only: secrets generated once into the git-ignored dev-secrets folder. */
function withDevDefaults(env: NodeJS.ProcessEnv, devDir: string): NodeJS.ProcessEnv {
  const filled = withDevServiceKeys(env, SERVICE_NAME, { privateKey: true }, path.join(devDir, 'service-keys'));
  filled.FINGERPRINT_SECRET ||= ensureDevSecret(devDir, 'orchestrator/fingerprint-secret', () => randomBytes(32).toString('base64url'));
  filled.IDENTITY_SECRETS_KEY ||= devIdentitySecretsKey(devDir);
  return withDevLogIdentityKey(filled, devDir);
}

export function loadOrchestratorConfig(env: NodeJS.ProcessEnv = process.env, options: { devSecretsDir?: string } = {}): OrchestratorConfig {
  const source = isProductionEnv(env) ? env : withDevDefaults(env, options.devSecretsDir ?? defaultDevSecretsDir());
  const raw = loadConfig(orchestratorEnv, source, { secrets: ORCHESTRATOR_SECRETS });
  const problems: string[] = [];
  const serviceAuthPrivateKey = readServicePrivateKey(problems, raw.SERVICE_AUTH_PRIVATE_KEY);
  if (problems.length > 0 || !serviceAuthPrivateKey) throw new ConfigError(problems);
  return { ...raw, serviceAuthPrivateKey, contractViolations: contractViolationsFor(env) };
}
