import { z } from 'zod';
import { defaultDevSecretsDir, envInt, envLogLevel, envPort, isProductionEnv, loadConfig } from '@webchat/config';
import { DEV_DATABASE_URL, orchestratorEnv, withDevIdentitySecretsKey } from '../config';

export const DISPATCHER_SERVICE_NAME = 'webhook-dispatcher';

export const dispatcherEnv = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development').describe('production: DATABASE_URL must be given; only https receivers at public addresses'),
  HOST: z.string().default('127.0.0.1').describe('Interface of the health endpoints; 0.0.0.0 in a container'),
  PORT: envPort(4300).describe('Port of /healthz, /readyz and /metrics'),
  LOG_LEVEL: envLogLevel.describe('winston level: error, warn, info, debug'),
  DATABASE_URL: z.url().default(DEV_DATABASE_URL).describe('Postgres connection URL (the outbox and the job queue). Secret.'),
  IDENTITY_SECRETS_KEY: orchestratorEnv.shape.IDENTITY_SECRETS_KEY.describe(
    "The orchestrator's AES-256-GCM key: webhook signing secrets are stored sealed with it. Secret; generated in development",
  ),
  WEBHOOK_CONCURRENCY: envInt(16, { min: 1, max: 200 }).describe('Deliveries this process sends at once'),
  WEBHOOK_ENDPOINT_CONCURRENCY: envInt(8, { min: 1, max: 100 }).describe('Of those, at most this many to one endpoint, so a slow endpoint never holds every slot'),
  WEBHOOK_TIMEOUT_MS: envInt(5000, { min: 100, max: 60_000 }).describe('A receiver must answer 2xx within this, else the attempt failed'),
  WEBHOOK_RETRY_BASE_MS: envInt(5000, { min: 10 }).describe('First retry delay; doubles per attempt, with jitter'),
  WEBHOOK_RETRY_MAX_MS: envInt(3_600_000, { min: 10 }).describe('Longest delay between two attempts'),
  WEBHOOK_RETRY_HORIZON_SECONDS: envInt(86_400, { min: 1 }).describe('After this long without a 2xx an event is marked failed'),
  WEBHOOK_ALLOW_LOCAL_URLS: z.enum(['true', 'false']).optional().describe('Allow http and loopback/private receivers (default: true outside production, false in it)'),
  WEBHOOK_SWEEP_GRACE_SECONDS: envInt(30, { min: 0 }).describe('A pending delivery this overdue is woken again (its dispatcher died)'),
  WEBHOOK_POLL_INTERVAL_MS: envInt(2000, { min: 100 }).describe('Job queue poll interval (new jobs arrive by LISTEN/NOTIFY; this is the fallback)'),
  });

export interface DispatcherConfig extends Omit<z.output<typeof dispatcherEnv>, 'WEBHOOK_ALLOW_LOCAL_URLS'> {
  /** Receivers may be http and on loopback/private addresses (development and test only, by default). */
  WEBHOOK_ALLOW_LOCAL_URLS: boolean;
}

export const DISPATCHER_SECRETS = ['DATABASE_URL', 'IDENTITY_SECRETS_KEY'] as const;

export function loadDispatcherConfig(env: NodeJS.ProcessEnv = process.env, options: { devSecretsDir?: string } = {}): DispatcherConfig {
  const source = withDevIdentitySecretsKey(env, options.devSecretsDir ?? defaultDevSecretsDir());
  const raw = loadConfig(dispatcherEnv, source, { secrets: DISPATCHER_SECRETS });
  const allowLocal = raw.WEBHOOK_ALLOW_LOCAL_URLS === undefined ? !isProductionEnv(env) : raw.WEBHOOK_ALLOW_LOCAL_URLS === 'true';
  return { ...raw, WEBHOOK_ALLOW_LOCAL_URLS: allowLocal };
}
