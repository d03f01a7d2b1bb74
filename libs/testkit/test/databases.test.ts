import { Client } from 'pg';
import { ADMIN_URL_ENV, TEMPLATE_ENV, createDatabase, createTestDatabase, dropDatabase, withClient, type TestDatabase } from '../src';

async function databaseExists(name: string): Promise<boolean> {
  const adminUrl = process.env[ADMIN_URL_ENV] as string;
  const result = await withClient(adminUrl, (client) => client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]));
  return result.rowCount === 1;
}

describe('test databases (server from the jest global setup)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('gives each test file its own database', async () => {
    const rows = await withClient(database.url, (client) => client.query<{ name: string }>('SELECT current_database() AS name'));
    expect(rows.rows[0]?.name).toBe(database.name);
  });

  it('starts from the migrated template when the global setup built one', async () => {
    const template = process.env[TEMPLATE_ENV];
    const migrated = await withClient(database.url, (client) =>
      client.query<{ present: boolean }>("SELECT to_regclass('pgmigrations') IS NOT NULL AS present"),
    );
    expect(migrated.rows[0]?.present).toBe(Boolean(template));
  });

  it('copies a template and drops a database that still has clients', async () => {
    const adminUrl = process.env[ADMIN_URL_ENV] as string;
    await withClient(database.url, (client) => client.query('CREATE TABLE marker (id int)'));
    const copy = `${database.name}_copy`;
    await createDatabase(adminUrl, copy, database.name);
    const lingering = new Client({ connectionString: database.url.replace(database.name, copy) });
    lingering.on('error', () => undefined); // it is expected to be disconnected by the drop
    await lingering.connect();
    const tables = await lingering.query("SELECT to_regclass('marker') IS NOT NULL AS present");
    expect(tables.rows[0]).toEqual({ present: true });

    await dropDatabase(adminUrl, copy);
    expect(await databaseExists(copy)).toBe(false);
    await lingering.end().catch(() => undefined);
  });
});
