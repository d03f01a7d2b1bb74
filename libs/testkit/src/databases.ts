import { randomBytes } from 'node:crypto';
import { createDatabase, databaseUrl, dropDatabase } from '@webchat/local-infra';

/** Set by the jest global setup: superuser URL of the test server. */
export const ADMIN_URL_ENV = 'TEST_DATABASE_ADMIN_URL';
/** Set by the jest global setup only when the migrated template exists. */
export const TEMPLATE_ENV = 'TEST_DATABASE_TEMPLATE';
export const TEMPLATE_DATABASE = 'webchat_template';
/** Prefix of databases made by createTestDatabase; the global setup sweeps leftovers on the private cluster. */
export const TEST_DATABASE_PREFIX = 'test_';

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
