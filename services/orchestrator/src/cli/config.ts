import { z } from 'zod';
import { defaultDevSecretsDir, envPort, isProductionEnv, loadConfig, logIdentityKeyEnv, withDevLogIdentityKey } from '@webchat/config';
import { orchestratorEnv, withDevIdentitySecretsKey } from '../config';

/** The local system's Postgres (`npm start`'s private cluster) on the port `WEBCHAT_PG_PORT` moves it to. */
export const localDatabaseUrl = (port: number) => `postgres://postgres@127.0.0.1:${port}/webchat`;

/**
 * The CLI's whole environment: where the database is (the local private cluster by default), and the
 * key identity and webhook secrets are sealed with (the orchestrator's). Only the commands that make a
 * secret (identity-secret rotate, webhooks add and rotate-secret) need the key, so migrations run without
 * it; in development it is the generated one.
 */
export const cliEnv = z.object({
  DATABASE_URL: z.url().optional(),
  WEBCHAT_PG_PORT: envPort(54320),
  IDENTITY_SECRETS_KEY: orchestratorEnv.shape.IDENTITY_SECRETS_KEY.optional(),
  // Only `logs identity-ref` reads it: the services' value, to name a guest the way their log lines do.
  LOG_IDENTITY_KEY: logIdentityKeyEnv.optional(),
});

export interface CliConfig {
  databaseUrl: string;
  /** Which setting chose the database, for the line the CLI prints before it connects. */
  source: string;
  /** null when not configured in production: identity-secret commands then refuse to run. */
  identitySecretsKey: string | null;
  /** LOG_IDENTITY_KEY; null when not configured in production: `logs identity-ref` then refuses to run. */
  logIdentityKey: string | null;
  /** Outside production, webhook URLs may be http or loopback/private (a receiver on 127.0.0.1). */
  allowLocalWebhookUrls: boolean;
}

export function loadCliConfig(env: NodeJS.ProcessEnv = process.env, devSecretsDir = defaultDevSecretsDir()): CliConfig {
  const config = loadConfig(cliEnv, withDevLogIdentityKey(withDevIdentitySecretsKey(env, devSecretsDir), devSecretsDir));
  const keys = { identitySecretsKey: config.IDENTITY_SECRETS_KEY ?? null, logIdentityKey: config.LOG_IDENTITY_KEY ?? null };
  const allowLocalWebhookUrls = !isProductionEnv(env);
  if (config.DATABASE_URL) return { databaseUrl: config.DATABASE_URL, source: 'DATABASE_URL', ...keys, allowLocalWebhookUrls };
  const source = env.WEBCHAT_PG_PORT ? `WEBCHAT_PG_PORT=${config.WEBCHAT_PG_PORT}` : `the local default port ${config.WEBCHAT_PG_PORT}`;
  return { databaseUrl: localDatabaseUrl(config.WEBCHAT_PG_PORT), source, ...keys, allowLocalWebhookUrls };
}
