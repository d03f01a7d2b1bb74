import { z } from 'zod';
import { defaultDevSecretsDir, isProductionEnv, loadConfig } from '@webchat/config';
import { DEV_DATABASE_URL, devIdentitySecretsKey, orchestratorEnv } from '../config';

/**
 * The CLI's whole environment: where the database is (the local private cluster by default), and the
 * key identity secrets are sealed with (the orchestrator's; generated in development, required in production).
 */
export const cliEnv = z.object({
  DATABASE_URL: z.url().default(DEV_DATABASE_URL),
  IDENTITY_SECRETS_KEY: orchestratorEnv.shape.IDENTITY_SECRETS_KEY,
});

export function loadCliConfig(env: NodeJS.ProcessEnv = process.env, devSecretsDir = defaultDevSecretsDir()) {
  const source = isProductionEnv(env) || env.IDENTITY_SECRETS_KEY ? env : { ...env, IDENTITY_SECRETS_KEY: devIdentitySecretsKey(devSecretsDir) };
  return loadConfig(cliEnv, source, { secrets: ['IDENTITY_SECRETS_KEY'] });
}
