import { z } from 'zod';
import { envPort, loadConfig } from '@webchat/config';

/** The local system's Postgres (`npm start`'s private cluster) on the port `WEBCHAT_PG_PORT` moves it to. */
export const localDatabaseUrl = (port: number) => `postgres://postgres@127.0.0.1:${port}/webchat`;

/** The CLI's whole environment: where the database is (the local private cluster by default). */
export const cliEnv = z.object({
  DATABASE_URL: z.url().optional(),
  WEBCHAT_PG_PORT: envPort(54320),
});

export interface CliConfig {
  databaseUrl: string;
  /** Which setting chose the database, for the line the CLI prints before it connects. */
  source: string;
}

export function loadCliConfig(env: NodeJS.ProcessEnv = process.env): CliConfig {
  const config = loadConfig(cliEnv, env);
  if (config.DATABASE_URL) return { databaseUrl: config.DATABASE_URL, source: 'DATABASE_URL' };
  const source = env.WEBCHAT_PG_PORT ? `WEBCHAT_PG_PORT=${config.WEBCHAT_PG_PORT}` : `the local default port ${config.WEBCHAT_PG_PORT}`;
  return { databaseUrl: localDatabaseUrl(config.WEBCHAT_PG_PORT), source };
}
