import { ConfigError, defaultDevSecretsDir, devLogIdentityKey, logIdentityKeyBytes } from '@webchat/config';
import { identityRef } from '@webchat/logger';
import { Client, escapeIdentifier } from 'pg';
import { createAccountRepository } from '../data-access/account-repository';
import { createAgentRepository } from '../data-access/agent-repository';
import { createWebhookRepository } from '../data-access/webhook-repository';
import { createIdentitySecretRepository, IdentitySecretSealer } from '../data-access/identity-secrets';
import { devIdentitySecretsKey } from '../config';
import { ConflictError, InvalidInputError, NotFoundError, sqlState } from '../data-access/errors';
import { migrateUp } from '../data-access/migrate';
import { createRefusedOriginRepository } from '../data-access/refused-origins';
import { sealClearWebhookSecrets } from '../data-access/webhook-secrets';
import { createDatabase, describeDatabaseError, isStoreUnavailable, StoreUnavailableError, type Database } from '../data-access/pool';
import { UsageError } from './args';
import { COMMAND_GROUPS, COMMANDS, findCommand, type CommandContext } from './commands';
import { loadCliConfig } from './config';
import { USAGE } from './usage';

export interface CliIo {
  databaseUrl: string;
  /** Webhook URLs may be http or loopback/private (development and test only). */
  allowLocalWebhookUrls?: boolean;
  /** Which setting chose the database (printed with it); default "DATABASE_URL". */
  databaseSource?: string;
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  /** Where seed-demo keeps the stable demo key; default `<repo>/.dev-secrets`. */
  devSecretsDir?: string;
  /** How long to wait for the database before saying it is unreachable. */
  connectTimeoutMs?: number;
  /** IDENTITY_SECRETS_KEY; null when it is not configured (production); default the development key in `devSecretsDir`. */
  identitySecretsKey?: string | null;
  /** LOG_IDENTITY_KEY; null when it is not configured (production); default the development key in `devSecretsDir`. */
  logIdentityKey?: string | null;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

const MIGRATE_HINT = 'pnpm --filter @webchat/orchestrator migrate';

/** The URL without its password, for messages. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(DATABASE_URL is not a URL)';
  }
}

function identitySecretsKeyOf(io: CliIo): string {
  if (io.identitySecretsKey === null) {
    throw new UsageError('this command stores a secret sealed with IDENTITY_SECRETS_KEY: set it (the orchestrator\'s value)');
  }
  return io.identitySecretsKey ?? devIdentitySecretsKey(io.devSecretsDir ?? defaultDevSecretsDir());
}

function logIdentityKeyOf(io: CliIo): string {
  if (io.logIdentityKey === null) throw new UsageError("this command names a guest as the services' logs do, under LOG_IDENTITY_KEY: set it (their value)");
  return io.logIdentityKey ?? devLogIdentityKey(io.devSecretsDir ?? defaultDevSecretsDir());
}

/** One line and an exit code for anything a command throws. */
function explain(error: unknown, databaseUrl: string): { message: string; exitCode: number } {
  if (error instanceof UsageError) return { message: `${error.message} (see webchat-admin --help)`, exitCode: EXIT_USAGE };
  if (error instanceof InvalidInputError) return { message: error.message, exitCode: EXIT_USAGE };
  if (error instanceof NotFoundError || error instanceof ConflictError) return { message: error.message, exitCode: EXIT_FAILED };
  const cause = error instanceof StoreUnavailableError ? error.cause : error;
  const state = sqlState(cause);
  let message: string;
  if (isStoreUnavailable(error)) message = `cannot reach the database at ${redactUrl(databaseUrl)}: ${describeDatabaseError(cause)}`;
  else if (state === '42P01') message = `the database has no webchat tables: run "${MIGRATE_HINT}" first`;
  else if (state === '3D000') message = `${describeDatabaseError(cause)}: run "${MIGRATE_HINT} --create-database"`;
  else if (state?.startsWith('28')) message = `the database refused the credentials in DATABASE_URL: ${describeDatabaseError(cause)}`;
  else message = `unexpected error: ${describeDatabaseError(cause)}`;
  return { message: message.replace(/\s*\n\s*/g, ' '), exitCode: EXIT_FAILED };
}

/** CREATE DATABASE for `migrate --create-database`, through the server's maintenance database. */
async function ensureDatabaseExists(databaseUrl: string, connectTimeoutMs: number): Promise<void> {
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!name) throw new InvalidInputError('DATABASE_URL names no database');
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = '/postgres';
  const client = new Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: connectTimeoutMs });
  try {
    await client.connect();
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${escapeIdentifier(name)}`);
  } catch (error) {
    throw isStoreUnavailable(error) ? new StoreUnavailableError(describeDatabaseError(error), error) : error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The whole CLI, callable in-process (tests) as well as from the command line. Never throws:
 * it writes results to `stdout`, one-line errors to `stderr`, and returns the exit code.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const line = (stream: CliIo['stdout']) => (text: string) => void stream.write(`${text}\n`);
  if (argv.length === 0) {
    io.stderr.write(USAGE);
    return EXIT_USAGE;
  }
  if (argv[0] === 'help' || argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }
  const found = findCommand(argv);
  if (!found) {
    const [first = ''] = argv;
    const actions = Object.keys(COMMANDS)
      .filter((name) => name.startsWith(`${first} `))
      .map((name) => name.slice(first.length + 1));
    const message = COMMAND_GROUPS.has(first)
      ? `"${first}" needs one of: ${actions.join(', ')}`
      : `unknown command ${JSON.stringify(argv.slice(0, 2).join(' '))}`;
    line(io.stderr)(`webchat-admin: ${message} (see webchat-admin --help)`);
    return EXIT_USAGE;
  }

  const connectTimeoutMs = io.connectTimeoutMs ?? 3000;
  let db: Database | undefined;
  // Said once, on stderr, before the first connection: "which database did that go to?" never needs guessing.
  const connect = (): Database =>
    (db ??= createDatabase({ connectionString: io.databaseUrl, max: 2, connectTimeoutMs, statementTimeoutMs: 10_000, applicationName: 'webchat-admin' }));
  const database = (): Database => {
    if (!db) line(io.stderr)(`webchat-admin: database ${redactUrl(io.databaseUrl)} (from ${io.databaseSource ?? 'DATABASE_URL'})`);
    return connect();
  };
  const context: CommandContext = {
    repository: async () => createAccountRepository(database()),
    refusedOrigins: async () => createRefusedOriginRepository(database()),
    agents: async () => createAgentRepository(database()),
    webhooks: async () => createWebhookRepository(database(), { allowLocal: io.allowLocalWebhookUrls ?? true }, () => new IdentitySecretSealer(identitySecretsKeyOf(io))),
    async migrate({ createDatabase: create }) {
      line(io.stderr)(`webchat-admin: database ${redactUrl(io.databaseUrl)} (from ${io.databaseSource ?? 'DATABASE_URL'})`);
      if (create) await ensureDatabaseExists(io.databaseUrl, connectTimeoutMs);
      try {
        await migrateUp(io.databaseUrl, { log: line(io.stderr) });
      } catch (error) {
        throw isStoreUnavailable(error) ? new StoreUnavailableError(describeDatabaseError(error), error) : error;
      }
      // Webhook secrets written before they were sealed: sealed now when the key is here, else by the dispatcher at start.
      if (io.identitySecretsKey !== null) {
        const sealed = await sealClearWebhookSecrets(connect(), new IdentitySecretSealer(identitySecretsKeyOf(io)));
        if (sealed > 0) line(io.stderr)(`webchat-admin: sealed the signing secrets of ${sealed} webhook endpoint(s)`);
      }
    },
    identitySecrets: async () => ({
      repository: createIdentitySecretRepository(connect()),
      sealer: new IdentitySecretSealer(identitySecretsKeyOf(io)),
    }),
    logIdentityRef: (identity) => identityRef(identity, logIdentityKeyBytes(logIdentityKeyOf(io))),
    devSecretsDir: io.devSecretsDir ?? defaultDevSecretsDir(),
    out: line(io.stdout),
    note: line(io.stderr),
  };
  try {
    await found.command(found.rest, context);
    return EXIT_OK;
  } catch (error) {
    const { message, exitCode } = explain(error, io.databaseUrl);
    line(io.stderr)(`webchat-admin: ${message}`);
    return exitCode;
  } finally {
    await db?.close().catch(() => undefined);
  }
}

export async function main(): Promise<void> {
  let config: ReturnType<typeof loadCliConfig>;
  try {
    config = loadCliConfig();
  } catch (error) {
    const problems = error instanceof ConfigError ? error.problems.join('; ') : String(error);
    process.stderr.write(`webchat-admin: invalid environment: ${problems}\n`);
    process.exitCode = EXIT_USAGE;
    return;
  }
  process.exitCode = await runCli(process.argv.slice(2), {
    databaseUrl: config.databaseUrl,
    databaseSource: config.source,
    allowLocalWebhookUrls: config.allowLocalWebhookUrls,
    identitySecretsKey: config.identitySecretsKey,
    logIdentityKey: config.logIdentityKey,
    stdout: process.stdout,
    stderr: process.stderr,
  });
}

if (require.main === module) void main();
