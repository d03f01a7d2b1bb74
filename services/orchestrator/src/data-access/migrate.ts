import { execFile } from 'node:child_process';
import path from 'node:path';

/** Plain `.sql` files (node-pg-migrate's SQL loader): nothing to transpile, so tsx, swc/jest and a container agree. */
export const MIGRATIONS_DIR = path.resolve(__dirname, '../../migrations');
export const MIGRATIONS_TABLE = 'pgmigrations';
const PACKAGE_DIR = path.resolve(__dirname, '../..');

export interface MigrateOptions {
  /** Progress lines ("> Migrating files: ..."); silent by default. */
  log?: (line: string) => void;
}

interface Plan {
  databaseUrl: string;
  direction: 'up' | 'down';
  count?: number;
}

type NodePgMigrate = typeof import('node-pg-migrate');

const runnerOptions = (plan: Plan) => ({
  databaseUrl: plan.databaseUrl,
  dir: MIGRATIONS_DIR,
  migrationsTable: MIGRATIONS_TABLE,
  direction: plan.direction,
  count: plan.count,
  // Several services or test workers may start together: the second waits for the first instead of failing.
  advisoryLockMode: 'wait' as const,
  singleTransaction: true,
  checkOrder: true,
});

/*
 * node-pg-migrate 9 is ESM-only. It is loaded on first use, not at module load, so code that merely
 * imports this module never evaluates it. Under tsx and plain Node 20.19+ (jest's global setup
 * included) the compiled `require()` of an ES module works; jest's own CommonJS sandbox on Node 20
 * refuses it, and there the same runner call is made from a child Node process instead.
 */
// Duck-typed: jest raises this error from its own realm, where `instanceof Error` is false.
function isEsmRefusal(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === 'ERR_REQUIRE_ESM' || (typeof message === 'string' && message.includes('Must use import to load ES Module'));
}

type GraphileWorker = typeof import('graphile-worker');

/*
 * graphile-worker keeps its own schema (`graphile_worker`) with its own migrations. The webhooks migration's
 * trigger calls graphile_worker.add_job, so that schema is installed (or upgraded) first, on every `migrate`.
 * It tolerates concurrent runs (a clash means another process did it).
 */
async function installJobQueueInProcess(plan: Plan): Promise<void> {
  if (plan.direction !== 'up') return;
  const { runMigrations, Logger }: GraphileWorker = await import('graphile-worker');
  await runMigrations({ connectionString: plan.databaseUrl, logger: new Logger(() => () => undefined) });
}

async function runInProcess(plan: Plan, log: (line: string) => void): Promise<void> {
  await installJobQueueInProcess(plan);
  const { runner }: NodePgMigrate = await import('node-pg-migrate');
  // Errors are thrown as well as logged: logging them too would print every failure twice.
  await runner({ ...runnerOptions(plan), logger: { debug: log, info: log, warn: log, error: () => undefined } });
}

const CHILD_SCRIPT = `
import { runner } from 'node-pg-migrate';
import { runMigrations, Logger } from 'graphile-worker';
const options = JSON.parse(process.env.WEBCHAT_MIGRATE_OPTIONS);
const log = (line) => process.stdout.write(String(line) + '\\n');
const queue = options.direction === 'up'
  ? runMigrations({ connectionString: options.databaseUrl, logger: new Logger(() => () => {}) })
  : Promise.resolve();
queue.then(() => runner({ ...options, logger: { debug: log, info: log, warn: log, error: () => {} } })).then(
  () => process.exit(0),
  (error) => { process.stderr.write(JSON.stringify({ message: String(error?.message || error), code: error?.code })); process.exit(1); },
);`;

/** The child reports `{ message, code }` so callers can still tell "database missing" from "unreachable". */
function childError(stderr: string, fallback: string): Error {
  try {
    const last = stderr.trim().split('\n').at(-1) ?? ''; // after any warnings Node printed
    const { message, code } = JSON.parse(last) as { message?: string; code?: string };
    return Object.assign(new Error(message || fallback), code ? { code } : {});
  } catch {
    return new Error(stderr.trim() || fallback);
  }
}

function runInChild(plan: Plan, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', CHILD_SCRIPT],
      {
        cwd: PACKAGE_DIR, // bare `node-pg-migrate` resolves from the orchestrator package
        env: { ...process.env, WEBCHAT_MIGRATE_OPTIONS: JSON.stringify(runnerOptions(plan)) },
        timeout: 120_000,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        for (const line of stdout.split('\n')) if (line) log(line);
        if (!error) return resolve();
        reject(childError(stderr, error.message));
      },
    );
  });
}

async function run(plan: Plan, options: MigrateOptions): Promise<void> {
  const log = options.log ?? (() => undefined);
  try {
    await runInProcess(plan, log);
  } catch (error) {
    if (!isEsmRefusal(error)) throw error;
    await runInChild(plan, log);
  }
}

/** Applies every pending migration. Idempotent; safe to run concurrently (advisory lock). */
export async function migrateUp(databaseUrl: string, options: MigrateOptions = {}): Promise<void> {
  await run({ databaseUrl, direction: 'up' }, options);
}

/** Reverts the last `count` migrations (development only). */
export async function migrateDown(databaseUrl: string, count = 1, options: MigrateOptions = {}): Promise<void> {
  await run({ databaseUrl, direction: 'down', count }, options);
}
