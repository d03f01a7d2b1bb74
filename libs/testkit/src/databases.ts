import { randomBytes } from 'node:crypto';
import { Client, escapeIdentifier } from 'pg';

/** Set by the jest global setup: superuser URL of the test server. */
export const ADMIN_URL_ENV = 'TEST_DATABASE_ADMIN_URL';
/** Set by the jest global setup only when the migrated template exists. */
export const TEMPLATE_ENV = 'TEST_DATABASE_TEMPLATE';
export const TEMPLATE_DATABASE = 'webchat_template';
/** Prefix of databases made by createTestDatabase; the global setup sweeps leftovers on the private cluster. */
export const TEST_DATABASE_PREFIX = 'test_';

/** The same server and credentials as `url`, pointed at database `name`. */
export function databaseUrl(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(name)}`;
  return parsed.toString();
}

export async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createDatabase(adminUrl: string, name: string, template?: string): Promise<void> {
  const from = template ? ` TEMPLATE ${escapeIdentifier(template)}` : '';
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE ${escapeIdentifier(name)}${from}`));
}

/** Drops even while clients are still connected (they are disconnected). */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`));
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh, uniquely named database for one test file: a copy of the migrated template when the
 * global setup built one, an empty database otherwise.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env[ADMIN_URL_ENV];
  if (!adminUrl) {
    throw new Error(`${ADMIN_URL_ENV} is not set: run tests through the root jest.config.js (testkit global setup)`);
  }
  const name = `${TEST_DATABASE_PREFIX}${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await createDatabase(adminUrl, name, process.env[TEMPLATE_ENV] || undefined);
  let dropping: Promise<void> | undefined;
  return { name, url: databaseUrl(adminUrl, name), drop: () => (dropping ??= dropDatabase(adminUrl, name)) };
}
