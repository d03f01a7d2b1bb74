import { z } from 'zod';
import { isProductionEnv, loadConfig } from '@webchat/config';
import { DEV_DATABASE_URL } from '../config';

/** The CLI's whole environment: where the database is (the local private cluster by default). */
export const cliEnv = z.object({
  DATABASE_URL: z.url().default(DEV_DATABASE_URL),
});

/** Outside production, webhook URLs may be http or loopback/private (a receiver on 127.0.0.1). */
export const loadCliConfig = (env: NodeJS.ProcessEnv = process.env) => ({
  ...loadConfig(cliEnv, env),
  allowLocalWebhookUrls: !isProductionEnv(env),
});
