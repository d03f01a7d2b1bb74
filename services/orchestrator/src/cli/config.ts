import { z } from 'zod';
import { loadConfig } from '@webchat/config';
import { DEV_DATABASE_URL } from '../config';

/** The CLI's whole environment: where the database is (the local private cluster by default). */
export const cliEnv = z.object({
  DATABASE_URL: z.url().default(DEV_DATABASE_URL),
});

export const loadCliConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(cliEnv, env);
