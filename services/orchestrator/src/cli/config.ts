import { z } from 'zod';
import { defaultDevSecretsDir, isProductionEnv, loadConfig } from '@webchat/config';
import { DEV_DATABASE_URL, devIdentitySecretsKey, orchestratorEnv } from '../config';

/**
 * The CLI's whole environment: where the database is (the local private cluster by default), and the
 * key identity secrets are sealed with (the orchestrator's). Only the identity-secret commands need the
 * key, so migrations run without it; in development it is the generated one.
 */
export const cliEnv = z.object({
  DATABASE_URL: z.url().default(DEV_DATABASE_URL),
  IDENTITY_SECRETS_KEY: orchestratorEnv.shape.IDENTITY_SECRETS_KEY.optional(),
});

export function loadCliConfig(env: NodeJS.ProcessEnv = process.env, devSecretsDir = defaultDevSecretsDir()) {
  const source = isProductionEnv(env) || env.IDENTITY_SECRETS_KEY ? env : { ...env, IDENTITY_SECRETS_KEY: devIdentitySecretsKey(devSecretsDir) };
  const config = loadConfig(cliEnv, source);
  return { ...config, IDENTITY_SECRETS_KEY: config.IDENTITY_SECRETS_KEY ?? null };
}
