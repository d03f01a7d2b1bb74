import { join } from 'node:path';
import { databaseUrl, startPrivatePostgres, type PrivatePostgres } from '@webchat/local-infra';
import { runCli } from '@webchat/orchestrator/src/cli/webchat-admin';
import type { RunnerConfig } from './config';

export const DATABASE_NAME = 'webchat';

export interface DemoAccount {
  accountSid: string;
  allowedOrigins: string[];
  deploymentKey: string;
  /** The demo agent's key, for the desk. */
  agentKey: string;
  /** The demo bot "Echo"'s key, when the echo bot runs (WEBCHAT_ECHO_BOT=1). */
  echoBotKey?: string;
}

/** The private cluster in `<data>/local-pg` (made on first use), unless DATABASE_URL names a server. */
export async function startDatabase(
  config: RunnerConfig,
  log: (line: string) => void,
): Promise<{ url: string; postgres: PrivatePostgres | undefined }> {
  if (config.databaseUrl) return { url: config.databaseUrl, postgres: undefined };
  const postgres = await startPrivatePostgres({ dataDir: join(config.dataDir, 'local-pg', 'pgdata'), port: config.ports.postgres, log });
  return { url: databaseUrl(postgres.url, DATABASE_NAME), postgres };
}

/** webchat-admin in-process, its output captured; a failure carries what it printed. */
export async function admin(args: string[], url: string): Promise<string> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    databaseUrl: url,
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
  });
  if (code !== 0) throw new Error(`webchat-admin ${args.join(' ')} failed (exit ${code}): ${stderr.trim() || stdout.trim()}`);
  return stdout;
}

/**
 * Creates the database when missing, applies the migrations, and seeds the demo account (and, for the echo bot,
 * its bot agent). The seed allows http://localhost:3000; when the demo site runs on another port that origin follows it.
 */
export async function prepareDemoData(url: string, demoOrigin: string, options: { echoBot?: boolean } = {}): Promise<DemoAccount> {
  await admin(['migrate', '--create-database'], url);
  const seeded = JSON.parse(await admin(['seed-demo', '--json', ...(options.echoBot ? ['--echo-bot'] : [])], url)) as DemoAccount;
  if (seeded.allowedOrigins.length === 1 && seeded.allowedOrigins[0] === demoOrigin) return seeded;
  await admin(['config', 'set', seeded.accountSid, '--origins', demoOrigin], url);
  return { ...seeded, allowedOrigins: [demoOrigin] };
}
