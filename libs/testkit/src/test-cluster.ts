import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  REPO_ROOT,
  createDatabase,
  databaseUrl,
  dropDatabase,
  getFreePort,
  isProcessAlive,
  readCmdline,
  startPrivatePostgres,
  withClient,
  type PrivatePostgres,
} from '@webchat/local-infra';
import { ADMIN_URL_ENV, TEMPLATE_DATABASE, TEMPLATE_ENV, TEST_DATABASE_PREFIX } from './databases';

/*
 * The database side of the jest global setup/teardown. Kept out of the jest entry files so it
 * can be reused by other runners (e.g. a dev script) without jest.
 */

const MIGRATE_MODULE = join(REPO_ROOT, 'services/orchestrator/src/data-access/migrate.ts');
const DEFAULT_PORT = 55432;

interface ClusterState {
  postgres?: PrivatePostgres;
  ownerFile?: string;
  /** Throwaway cluster folder, used when another run owns the usual one. */
  scratchDir?: string;
}

// globalSetup and globalTeardown share globalThis but not necessarily module instances.
const STATE_KEY = Symbol.for('@webchat/testkit/test-cluster');
function state(): ClusterState {
  const holder = globalThis as unknown as Record<symbol, ClusterState | undefined>;
  return (holder[STATE_KEY] ??= {});
}

function debug(line: string): void {
  if (process.env.TESTKIT_DEBUG) process.stderr.write(`[testkit] ${line}\n`);
}

/** PID of another live jest run that owns the cluster in `home`, if any. */
async function otherOwner(ownerFile: string): Promise<number | undefined> {
  const owner = Number.parseInt(await readFile(ownerFile, 'utf8').catch(() => ''), 10);
  const ownerIsJest = (readCmdline(owner) ?? []).some((arg) => arg.includes('jest'));
  return owner > 0 && owner !== process.pid && isProcessAlive(owner) && ownerIsJest ? owner : undefined;
}

async function startCluster(dataDir: string, port: number): Promise<PrivatePostgres> {
  try {
    const postgres = await startPrivatePostgres({ dataDir, port, log: debug });
    state().postgres = postgres;
    return postgres;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\n(set DATABASE_URL to use an existing server, or TEST_PG_PORT to pick another port)`);
  }
}

/** Databases of test files that never reached afterAll (crash, Ctrl-C) pile up otherwise. */
async function dropLeftoverTestDatabases(adminUrl: string): Promise<void> {
  const leftovers = await withClient(adminUrl, (client) =>
    client.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
      `${TEST_DATABASE_PREFIX.replace(/_/g, '\\_')}%`,
    ]),
  );
  for (const { datname } of leftovers.rows) await dropDatabase(adminUrl, datname);
}

async function startOwnCluster(): Promise<string> {
  const explicitPort = process.env.TEST_PG_PORT;
  const port = Number(explicitPort || DEFAULT_PORT);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`TEST_PG_PORT is not a port: ${port}`);
  // One folder per port so that runs on different TEST_PG_PORTs do not share a data directory.
  const home = join(REPO_ROOT, '.data', 'test-pg', String(port));
  await mkdir(home, { recursive: true });
  const ownerFile = join(home, 'owner.pid');

  // Two jest runs in one checkout (several people at work) must not share, let alone stop, one cluster.
  const scratchCluster = async (reason: string): Promise<string> => {
    const scratch = await mkdtemp(join(tmpdir(), 'webchat-test-pg-'));
    state().scratchDir = scratch;
    process.stderr.write(`[testkit] ${reason}; using a throwaway cluster in ${scratch}\n`);
    return (await startCluster(join(scratch, 'pgdata'), await getFreePort())).url;
  };
  const owner = await otherOwner(ownerFile);
  if (owner !== undefined) {
    if (explicitPort) throw new Error(`another test run (pid ${owner}) is using the test PostgreSQL on port ${port}`);
    return scratchCluster(`test run ${owner} owns port ${port}`);
  }
  await writeFile(ownerFile, String(process.pid));
  state().ownerFile = ownerFile;
  let url: string;
  try {
    ({ url } = await startCluster(join(home, 'pgdata'), port));
  } catch (error) {
    // Something else holds the default port (another checkout's tests, a stray server): not a reason to fail.
    if (explicitPort || !(error instanceof Error) || !/already in use/.test(error.message)) throw error;
    await rm(ownerFile, { force: true });
    state().ownerFile = undefined;
    return scratchCluster(`port ${port} is taken by another process`);
  }
  await dropLeftoverTestDatabases(url);
  return url;
}

type MigrateUp = (databaseUrl: string) => Promise<void>;

/** The orchestrator's migrations, when that package provides them (it may not exist yet). */
function loadMigrateUp(): MigrateUp | undefined {
  if (!existsSync(MIGRATE_MODULE)) return undefined;
  // Dynamic require: under jest's global setup this still goes through the swc transform.
  const loaded: unknown = require(MIGRATE_MODULE);
  const migrateUp = (loaded as { migrateUp?: unknown } | null)?.migrateUp;
  if (typeof migrateUp !== 'function') {
    process.stderr.write(`[testkit] ${MIGRATE_MODULE} does not export migrateUp(); no template database\n`);
    return undefined;
  }
  return migrateUp as MigrateUp;
}

/** Rebuilt every run so a changed migration can never meet a stale template. */
async function buildTemplate(adminUrl: string): Promise<void> {
  delete process.env[TEMPLATE_ENV];
  await dropDatabase(adminUrl, TEMPLATE_DATABASE);
  const migrateUp = loadMigrateUp();
  if (!migrateUp) return;
  const started = Date.now();
  await createDatabase(adminUrl, TEMPLATE_DATABASE);
  await migrateUp(databaseUrl(adminUrl, TEMPLATE_DATABASE));
  process.env[TEMPLATE_ENV] = TEMPLATE_DATABASE;
  debug(`template ${TEMPLATE_DATABASE} migrated in ${Date.now() - started} ms`);
}

/** Gives test workers a database server through process.env (workers inherit it). */
export async function setUpTestDatabaseServer(): Promise<void> {
  const started = Date.now();
  const adminUrl = process.env.DATABASE_URL || (await startOwnCluster());
  process.env[ADMIN_URL_ENV] = adminUrl;
  await buildTemplate(adminUrl);
  debug(`database server ready in ${Date.now() - started} ms`);
}

export async function tearDownTestDatabaseServer(): Promise<void> {
  const { postgres, ownerFile, scratchDir } = state();
  state().postgres = state().ownerFile = state().scratchDir = undefined;
  await postgres?.stop();
  if (ownerFile) await rm(ownerFile, { force: true });
  if (scratchDir) await rm(scratchDir, { recursive: true, force: true });
}
