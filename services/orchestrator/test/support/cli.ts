import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TEMPLATE_ENV, createTestDatabase, type TestDatabase } from '@webchat/testkit';
import { runCli, type CliIo } from '../../src/cli/webchat-admin';
import { migrateUp } from '../../src/data-access/migrate';
import { createDatabase, type Database } from '../../src/data-access/pool';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** What a webchat-admin test file works with; set in its beforeAll. */
export interface CliFixture {
  testDb: TestDatabase;
  /** The same database, for arranging and checking what the CLI did. */
  db: Database;
  /** seed-demo's and the development identity key's folder, of this file alone. */
  devSecretsDir: string;
  /** webchat-admin in-process against this file's database, its output captured. */
  cli(argv: string[], io?: Partial<CliIo>): Promise<CliResult>;
}

/**
 * A fresh migrated database and secrets folder for the test file (beforeAll), removed again (afterAll).
 * `defaults` are CliIo settings every call of this file gets.
 */
export function useCliFixture(name: string, defaults: Partial<CliIo> = {}): CliFixture {
  const fixture = {
    async cli(argv: string[], io: Partial<CliIo> = {}): Promise<CliResult> {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(argv, {
        databaseUrl: fixture.testDb.url,
        stdout: { write: (chunk: string) => out.push(chunk) },
        stderr: { write: (chunk: string) => err.push(chunk) },
        devSecretsDir: fixture.devSecretsDir,
        connectTimeoutMs: 1000,
        ...defaults,
        ...io,
      });
      return { code, stdout: out.join(''), stderr: err.join('') };
    },
  } as CliFixture;

  beforeAll(async () => {
    fixture.testDb = await createTestDatabase();
    if (!process.env[TEMPLATE_ENV]) await migrateUp(fixture.testDb.url);
    fixture.db = createDatabase({ connectionString: fixture.testDb.url, max: 2 });
    fixture.devSecretsDir = await mkdtemp(path.join(tmpdir(), `webchat-admin-${name}-`));
  });

  afterAll(async () => {
    await fixture.db?.close();
    await fixture.testDb?.drop();
    if (fixture.devSecretsDir) await rm(fixture.devSecretsDir, { recursive: true, force: true });
  });

  return fixture;
}
