import { createHash } from 'node:crypto';
import { DeploymentKey } from '@webchat/contracts';
import { TEMPLATE_ENV, createTestDatabase, getFreePort, type TestDatabase } from '@webchat/testkit';
import { createAccountRepository, type AccountRepository } from '../src/data-access/account-repository';
import { ConflictError, InvalidInputError, NotFoundError } from '../src/data-access/errors';
import { migrateUp } from '../src/data-access/migrate';
import { createDatabase, StoreUnavailableError, type Database } from '../src/data-access/pool';

let testDb: TestDatabase;
let db: Database;
let repo: AccountRepository;

beforeAll(async () => {
  testDb = await createTestDatabase();
  // A copy of the migrated template, unless the global setup could not build one.
  if (!process.env[TEMPLATE_ENV]) await migrateUp(testDb.url);
  db = createDatabase({ connectionString: testDb.url, max: 4, connectTimeoutMs: 2000, statementTimeoutMs: 2000 });
  repo = createAccountRepository(db);
});

afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

const sha256 = (value: string) => createHash('sha256').update(value).digest();

/** Counts the round trips `work` makes through the pool. */
async function countQueries<T>(work: () => Promise<T>): Promise<{ result: T; queries: number }> {
  const before = db.stats.queries;
  const result = await work();
  return { result, queries: db.stats.queries - before };
}

async function accountWithKey(name: string) {
  const account = await repo.createAccount({ friendlyName: name });
  const issued = await repo.issueDeploymentKey(account.accountSid);
  return { account, issued };
}

describe('findConfigurationByDeploymentKey', () => {
  it('when the key is active, then one query returns the account, its configuration and all its keys (no hashes)', async () => {
    const { account, issued } = await accountWithKey('Lookup Ltd');
    const second = await repo.issueDeploymentKey(account.accountSid);
    await repo.revokeDeploymentKey(second.id);
    await repo.updateConfiguration(account.accountSid, {
      allowedOrigins: ['https://shop.lookup.example', 'https://*.lookup.example'],
      addressSid: `IG${'a'.repeat(32)}`,
      fingerprintSensitivity: 'high',
      tokenTtlSeconds: 900,
      welcomeMessage: 'Welcome to Lookup',
    });

    const { result, queries } = await countQueries(() => repo.findConfigurationByDeploymentKey(issued.key));

    expect(queries).toBe(1);
    expect(result).toEqual({
      accountSid: account.accountSid,
      friendlyName: 'Lookup Ltd',
      accountStatus: 'active',
      keyId: issued.id,
      keyStatus: 'active',
      allowedOrigins: ['https://shop.lookup.example', 'https://*.lookup.example'],
      addressSid: `IG${'a'.repeat(32)}`,
      fingerprintSensitivity: 'high',
      tokenTtlSeconds: 900,
      welcomeMessage: 'Welcome to Lookup',
      widget: {},
      deploymentKeys: [
        { id: issued.id, prefix: issued.prefix, status: 'active', createdAt: expect.any(Date), revokedAt: null },
        { id: second.id, prefix: second.prefix, status: 'revoked', createdAt: expect.any(Date), revokedAt: expect.any(Date) },
      ],
    });
    const serialised = JSON.stringify(result);
    expect(serialised).not.toContain(issued.key);
    expect(serialised).not.toContain(sha256(issued.key).toString('hex'));
  });

  it('when a new account is looked up, then it has the default configuration', async () => {
    const { issued } = await accountWithKey('Defaults Inc');
    expect(await repo.findConfigurationByDeploymentKey(issued.key)).toMatchObject({
      allowedOrigins: [],
      addressSid: null,
      fingerprintSensitivity: 'medium',
      tokenTtlSeconds: 3600,
      welcomeMessage: null,
    });
  });

  it('when the key is unknown, then null after one query', async () => {
    const { result, queries } = await countQueries(() => repo.findConfigurationByDeploymentKey('dk_thisKeyWasNeverIssuedToAnyone0000'));
    expect(result).toBeNull();
    expect(queries).toBe(1);
  });

  it('when the value cannot be a deployment key, then null without asking the database', async () => {
    const { result, queries } = await countQueries(() => repo.findConfigurationByDeploymentKey('short'));
    expect(result).toBeNull();
    expect(queries).toBe(0);
  });

  it('when the key is revoked, then the row is still returned and says revoked', async () => {
    const { issued } = await accountWithKey('Revoked Co');
    await repo.revokeDeploymentKey(issued.id);
    const found = await repo.findConfigurationByDeploymentKey(issued.key);
    expect(found).toMatchObject({ keyId: issued.id, keyStatus: 'revoked', accountStatus: 'active' });
    expect(found?.deploymentKeys[0]?.revokedAt).toBeInstanceOf(Date);
  });

  it('when the account is suspended, then the row says so and the key itself is still active', async () => {
    const { account, issued } = await accountWithKey('Suspended SA');
    await repo.setAccountStatus(account.accountSid, 'suspended');
    expect(await repo.findConfigurationByDeploymentKey(issued.key)).toMatchObject({ accountStatus: 'suspended', keyStatus: 'active' });
    await repo.setAccountStatus(account.accountSid, 'active');
    expect(await repo.findConfigurationByDeploymentKey(issued.key)).toMatchObject({ accountStatus: 'active' });
  });

  it('when the configuration row is missing, then the migration defaults apply', async () => {
    const { account, issued } = await accountWithKey('No Config GmbH');
    await db.query('DELETE FROM account_configurations WHERE account_sid = $1', [account.accountSid]);
    expect(await repo.findConfigurationByDeploymentKey(issued.key)).toMatchObject({ allowedOrigins: [], tokenTtlSeconds: 3600 });
  });
});

describe('deployment keys', () => {
  it('when a key is issued, then it is URL-safe, carries 192 random bits and satisfies the DeploymentKey contract', async () => {
    const { issued } = await accountWithKey('Key Shape');
    expect(issued.key).toMatch(/^dk_[A-Za-z0-9_-]{32}$/);
    expect(Buffer.from(issued.key.slice(3), 'base64url')).toHaveLength(24);
    expect(DeploymentKey.safeParse(issued.key).success).toBe(true);
    expect(issued.prefix).toBe(issued.key.slice(0, 12));
  });

  it('when a key is issued, then the database holds its SHA-256 and never the key', async () => {
    const { issued } = await accountWithKey('Hash Only');
    const { rows } = await db.query<{ key_hash: Buffer; row: string }>(
      'SELECT key_hash, row_to_json(k)::text AS row FROM deployment_keys k WHERE id = $1',
      [issued.id],
    );
    expect(rows[0]?.key_hash.equals(sha256(issued.key))).toBe(true);
    expect(rows[0]?.row).not.toContain(issued.key.slice(12));
  });

  it('when an account has several keys, then each resolves to it', async () => {
    const { account, issued } = await accountWithKey('Many Keys');
    const other = await repo.issueDeploymentKey(account.accountSid);
    expect(other.key).not.toBe(issued.key);
    for (const key of [issued.key, other.key]) {
      expect((await repo.findConfigurationByDeploymentKey(key))?.accountSid).toBe(account.accountSid);
    }
  });

  it('when revoking by prefix or by the whole key, then that key is revoked, and revoking again is harmless', async () => {
    const { issued } = await accountWithKey('Revoke Ways');
    expect(await repo.revokeDeploymentKey(issued.prefix)).toMatchObject({ id: issued.id, status: 'revoked', wasAlreadyRevoked: false });
    expect(await repo.revokeDeploymentKey(issued.key)).toMatchObject({ id: issued.id, wasAlreadyRevoked: true });
  });

  it('when the reference matches nothing or is not a reference, then it says so', async () => {
    await expect(repo.revokeDeploymentKey('00000000-0000-4000-8000-000000000000')).rejects.toThrow(NotFoundError);
    await expect(repo.revokeDeploymentKey('dk_')).rejects.toThrow(InvalidInputError);
    await expect(repo.revokeDeploymentKey('some-name')).rejects.toThrow(InvalidInputError);
  });

  it('when a prefix matches several keys, then nothing is revoked and the ids are named', async () => {
    const { account } = await accountWithKey('Shared Prefix');
    const ids: string[] = [];
    for (const suffix of ['A', 'B']) {
      ids.push((await repo.issueDeploymentKey(account.accountSid, { key: `dk_SharedPfx${suffix}${'x'.repeat(30)}` })).id);
    }
    await expect(repo.revokeDeploymentKey('dk_SharedPfx')).rejects.toThrow(ConflictError);
    await expect(repo.revokeDeploymentKey('dk_SharedPfx')).rejects.toThrow(ids[0]);
    expect((await repo.getAccount(account.accountSid))?.deploymentKeys.map((key) => key.status)).toEqual(['active', 'active', 'active']);
  });

  it('when issuing for an unknown account, then NotFound', async () => {
    await expect(repo.issueDeploymentKey(`AC${'0'.repeat(32)}`)).rejects.toThrow(NotFoundError);
  });
});

describe('operator functions', () => {
  it('when an account SID is taken, then creating it again is a conflict', async () => {
    const sid = `AC${'b'.repeat(31)}1`;
    await repo.createAccount({ friendlyName: 'First', sid });
    await expect(repo.createAccount({ friendlyName: 'Second', sid })).rejects.toThrow(ConflictError);
  });

  it.each([
    [{ allowedOrigins: ['https://ok.example', 'https://bad.example/path'] }, /allowed origin "https:\/\/bad.example\/path" must not have a path/],
    [{ allowedOrigins: Array.from({ length: 11 }, (_, i) => `https://s${i}.example`) }, /at most 10 allowed origins/],
    [{ allowedOrigins: ['http://*.example.com'] }, /must use https/],
    [{ tokenTtlSeconds: 59 }, /from 60 to 86400/],
    [{ fingerprintSensitivity: 'extreme' }, /off, low, medium, high/],
    [{ addressSid: 'IG123' }, /address SID "IG123"/],
    [{ welcomeMessage: 'x'.repeat(1025) }, /at most 1024/],
    [{}, /nothing to set/],
  ])('when a configuration update is invalid (%j), then it is refused and nothing is written', async (update, message) => {
    const { account } = await accountWithKey('Validation');
    await repo.updateConfiguration(account.accountSid, { allowedOrigins: ['https://kept.example'] });
    const before = await repo.getAccount(account.accountSid);
    const { queries } = await countQueries(async () => {
      await expect(repo.updateConfiguration(account.accountSid, update)).rejects.toThrow(message);
    });
    expect(queries).toBe(0);
    expect(await repo.getAccount(account.accountSid)).toEqual(before);
  });

  it('when nullable settings are cleared, then they read null again', async () => {
    const { account } = await accountWithKey('Clearing');
    await repo.updateConfiguration(account.accountSid, { welcomeMessage: 'Hi', addressSid: `IG${'c'.repeat(32)}` });
    const cleared = await repo.updateConfiguration(account.accountSid, { welcomeMessage: null, addressSid: null });
    expect(cleared).toMatchObject({ welcomeMessage: null, addressSid: null });
  });

  it('when listing, then every account comes with its settings and key prefixes', async () => {
    const { account, issued } = await accountWithKey('Listed');
    const listed = (await repo.listAccounts()).find((candidate) => candidate.accountSid === account.accountSid);
    expect(listed).toMatchObject({ friendlyName: 'Listed', status: 'active', deploymentKeys: [{ prefix: issued.prefix }] });
  });
});

describe('schema constraints', () => {
  it.each([
    ["INSERT INTO accounts (sid, friendly_name) VALUES ('ACnothex', 'x')", 'accounts_sid_format'],
    ["INSERT INTO accounts (sid, friendly_name, status) VALUES ('AC' || repeat('d', 32), 'x', 'deleted')", 'accounts_status_valid'],
    [
      "INSERT INTO account_configurations (account_sid, fingerprint_sensitivity) VALUES ('AC' || repeat('e', 32), 'max')",
      'account_configurations_fingerprint_sensitivity_valid',
    ],
    [
      "INSERT INTO account_configurations (account_sid, allowed_origins) VALUES ('AC' || repeat('e', 32), array_fill('https://a.b'::text, ARRAY[11]))",
      'account_configurations_allowed_origins_max',
    ],
    [
      "INSERT INTO account_configurations (account_sid, token_ttl_seconds) VALUES ('AC' || repeat('e', 32), 30)",
      'account_configurations_token_ttl_range',
    ],
    ["INSERT INTO account_configurations (account_sid, address_sid) VALUES ('AC' || repeat('e', 32), 'IGxyz')", 'account_configurations_address_sid_format'],
    [
      "INSERT INTO conversations (sid, account_sid, identity) VALUES ('CH1', 'AC' || repeat('e', 32), gen_random_uuid())",
      'conversations_sid_format',
    ],
    [
      "INSERT INTO deployment_keys (account_sid, key_hash, key_prefix, status) VALUES ('AC' || repeat('e', 32), sha256('k'), 'dk_abc', 'revoked')",
      'deployment_keys_revoked_at_matches_status',
    ],
  ])('when a row breaks a rule (%s), then the database refuses it with %s', async (sql, constraint) => {
    await db.query("INSERT INTO accounts (sid, friendly_name) VALUES ('AC' || repeat('e', 32), 'constraint host') ON CONFLICT DO NOTHING");
    await expect(db.query(sql)).rejects.toMatchObject({ constraint });
  });
});

describe('pool', () => {
  it('when an idle connection is killed by the server, then the error is reported, not thrown, and the next query works', async () => {
    const errors: Error[] = [];
    const local = createDatabase({ connectionString: testDb.url, max: 1, onError: (error) => errors.push(error) });
    try {
      const { rows } = await local.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await db.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
      for (let i = 0; i < 100 && errors.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(errors.length).toBeGreaterThan(0);
      await expect(local.query('SELECT 1')).resolves.toMatchObject({ rowCount: 1 });
    } finally {
      await local.close();
    }
  });

  it('when nothing listens on the database port, then queries and ping fail fast with StoreUnavailableError', async () => {
    const port = await getFreePort();
    const down = createDatabase({ connectionString: `postgres://postgres@127.0.0.1:${port}/none`, connectTimeoutMs: 500 });
    try {
      const started = Date.now();
      await expect(down.query('SELECT 1')).rejects.toThrow(StoreUnavailableError);
      await expect(down.ping()).rejects.toThrow(/database unavailable/);
      await expect(down.transaction(async (tx) => tx.query('SELECT 1'))).rejects.toThrow(StoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await down.close();
    }
  });

  it('when a transaction throws, then it is rolled back', async () => {
    const sid = `AC${'f'.repeat(31)}2`;
    await expect(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO accounts (sid, friendly_name) VALUES ($1, 'rolled back')", [sid]);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await db.query('SELECT 1 FROM accounts WHERE sid = $1', [sid])).rowCount).toBe(0);
  });
});
