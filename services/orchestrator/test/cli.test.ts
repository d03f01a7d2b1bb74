import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  ADMIN_URL_ENV,
  REPO_ROOT,
  TEST_DATABASE_PREFIX,
  createDatabase as createEmptyDatabase,
  databaseUrl,
  dropDatabase,
  getFreePort,
  type TestDatabase,
} from '@webchat/testkit';
import { DEMO_ACCOUNT_SID, DEMO_KEY_SECRET, DEMO_ORIGIN } from '../src/cli/seed-demo';
import { createAccountRepository, type AccountDetails, type AccountRepository } from '../src/data-access/account-repository';
import type { Database } from '../src/data-access/pool';
import { useCliFixture, type CliResult } from './support/cli';

const BIN = path.resolve(__dirname, '../src/cli/bin.cjs');

const fixture = useCliFixture('test');
let testDb: TestDatabase;
let db: Database;
let repo: AccountRepository;
let devSecretsDir: string;

beforeAll(() => {
  ({ testDb, db, devSecretsDir } = fixture);
  repo = createAccountRepository(db);
});

async function cli(argv: string[], databaseUrlOverride?: string): Promise<CliResult> {
  const result = await fixture.cli(argv, databaseUrlOverride ? { databaseUrl: databaseUrlOverride } : {});
  return { ...result, stderr: withoutDatabaseLine(result.stderr) };
}

/** The line naming the database (cli-widget.test.ts checks it); the rest of stderr is what these tests read. */
const withoutDatabaseLine = (text: string) => text.replace(/^webchat-admin: database \S+ \(from [^)]*\)\n/m, '');

function spawnCli(file: string, args: string[], options: { cwd?: string; databaseUrl?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: options.cwd ?? REPO_ROOT, env: { ...process.env, DATABASE_URL: options.databaseUrl ?? testDb.url }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: withoutDatabaseLine(String(stderr)) });
      },
    );
  });
}

const oneLine = (text: string) => text.trim().split('\n');

async function createAccount(name: string): Promise<AccountDetails> {
  const result = await cli(['accounts', 'create', '--name', name, '--json']);
  expect(result).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(result.stdout) as AccountDetails;
}

describe('webchat-admin accounts', () => {
  it('when an account is created, then it is listed with the default configuration', async () => {
    const created = await createAccount('Acme Listing');
    expect(created.accountSid).toMatch(/^AC[0-9a-f]{32}$/);

    const listed = await cli(['accounts', 'list', '--json']);
    expect(listed.code).toBe(0);
    const accounts = JSON.parse(listed.stdout) as AccountDetails[];
    expect(accounts.find((account) => account.accountSid === created.accountSid)).toMatchObject({
      friendlyName: 'Acme Listing',
      status: 'active',
      allowedOrigins: [],
      fingerprintSensitivity: 'medium',
      tokenTtlSeconds: 3600,
    });
    const text = await cli(['accounts', 'list']);
    expect(text.stdout).toContain(`${created.accountSid}  active  Acme Listing`);
  });

  it('when an account is suspended and activated again, then its status follows', async () => {
    const { accountSid } = await createAccount('Suspend Me');
    expect(await cli(['accounts', 'suspend', accountSid])).toMatchObject({ code: 0, stdout: `${accountSid} is now suspended\n` });
    expect((await repo.getAccount(accountSid))?.status).toBe('suspended');
    expect(await cli(['accounts', 'activate', accountSid])).toMatchObject({ code: 0 });
    expect((await repo.getAccount(accountSid))?.status).toBe('active');
  });

  it('when the account does not exist, then exit 1 and a line naming it', async () => {
    const missing = `AC${'9'.repeat(32)}`;
    for (const argv of [['accounts', 'show', missing], ['accounts', 'suspend', missing], ['keys', 'issue', missing], ['config', 'set', missing, '--ttl', '600']]) {
      const result = await cli(argv);
      expect(result.code).toBe(1);
      expect(oneLine(result.stderr)).toEqual([`webchat-admin: account ${missing} does not exist`]);
    }
  });
});

describe('webchat-admin keys', () => {
  it('when a key is issued, then it is printed once on stdout and the database holds only its hash', async () => {
    const { accountSid } = await createAccount('Key Holder');
    const issued = await cli(['keys', 'issue', accountSid]);
    expect(issued.code).toBe(0);
    const key = issued.stdout.trim();
    expect(issued.stdout).toMatch(/^dk_[A-Za-z0-9_-]{32}\n$/);
    expect(issued.stderr).toMatch(/shown once/);
    expect(issued.stderr).not.toContain(key);

    const { rows } = await db.query<{ key_hash: Buffer; row: string }>(
      'SELECT key_hash, row_to_json(k)::text AS row FROM deployment_keys k WHERE account_sid = $1',
      [accountSid],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.key_hash.equals(createHash('sha256').update(key).digest())).toBe(true);
    expect(rows[0]?.row).not.toContain(key.slice(12));

    const shown = await cli(['accounts', 'show', accountSid]);
    expect(shown.stdout).toContain(key.slice(0, 12));
    expect(shown.stdout).not.toContain(key);
    expect((await cli(['accounts', 'list', '--json'])).stdout).not.toContain(key);
  });

  it('when a key is revoked by its listed prefix, then lookups see it revoked', async () => {
    const { accountSid } = await createAccount('Revoker');
    const key = (await cli(['keys', 'issue', accountSid])).stdout.trim();
    const revoked = await cli(['keys', 'revoke', key.slice(0, 12)]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/^revoked: dk_\S+\s+revoked/);
    expect(await repo.findConfigurationByDeploymentKey(key)).toMatchObject({ keyStatus: 'revoked' });
    expect((await cli(['keys', 'revoke', key.slice(0, 12)])).stdout).toMatch(/^was already revoked/);
  });

  it('when the key reference matches nothing, then exit 1; when it is not a reference, exit 2', async () => {
    expect(await cli(['keys', 'revoke', '00000000-0000-4000-8000-000000000000'])).toMatchObject({ code: 1 });
    const bad = await cli(['keys', 'revoke', 'nonsense']);
    expect(bad.code).toBe(2);
    expect(oneLine(bad.stderr)).toHaveLength(1);
  });
});

describe('webchat-admin config set', () => {
  it('when every value is valid, then the configuration is stored normalised', async () => {
    const { accountSid } = await createAccount('Configured');
    const addressSid = `IG${'1'.repeat(32)}`;
    const result = await cli([
      'config', 'set', accountSid,
      '--origins', 'https://Shop.Example.com/, https://*.example.org',
      '--sensitivity', 'low', '--ttl', '900', '--welcome', 'Hello, how can we help?', '--address-sid', addressSid, '--json',
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      allowedOrigins: ['https://shop.example.com', 'https://*.example.org'],
      fingerprintSensitivity: 'low',
      tokenTtlSeconds: 900,
      welcomeMessage: 'Hello, how can we help?',
      addressSid,
    });
  });

  it('when an origin is not a valid URL, then a clear one-line error, exit 2 and nothing written', async () => {
    const { accountSid } = await createAccount('Bad Origin');
    await cli(['config', 'set', accountSid, '--origins', 'https://kept.example.com']);
    const before = await repo.getAccount(accountSid);

    const result = await cli(['config', 'set', accountSid, '--origins', 'https://ok.example.com,https://exa mple.com', '--ttl', '120']);

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(oneLine(result.stderr)).toEqual([expect.stringMatching(/^webchat-admin: allowed origin "https:\/\/exa mple.com" /)]);
    expect(await repo.getAccount(accountSid)).toEqual(before);
  });

  it.each([
    [['--origins', 'https://example.com/path'], /must not have a path/],
    [['--origins', 'http://*.example.com'], /must use https/],
    [['--origins', Array.from({ length: 11 }, (_, i) => `https://s${i}.example.com`).join(',')], /at most 10/],
    [['--ttl', '1h'], /--ttl must be a whole number/],
    [['--ttl', '10'], /from 60 to 86400/],
    [['--sensitivity', 'paranoid'], /off, low, medium, high/],
    [['--address-sid', 'IG42'], /address SID "IG42"/],
    [[], /nothing to set/],
  ])('when given %j, then exit 2 with one line naming the problem', async (options, message) => {
    const { accountSid } = await createAccount('Bad Values');
    const result = await cli(['config', 'set', accountSid, ...options]);
    expect(result.code).toBe(2);
    expect(oneLine(result.stderr)).toEqual([expect.stringMatching(message)]);
  });
});

describe('webchat-admin usage', () => {
  it.each([
    [['bogus'], /unknown command "bogus"/],
    [['accounts'], /"accounts" needs one of: create, list, show, suspend, activate/],
    [['accounts', 'create'], /missing --name/],
    [['accounts', 'create', '--name'], /option --name needs a value/],
    [['accounts', 'create', '--name', 'x', '--colour', 'red'], /unknown option --colour/],
    [['accounts', 'show'], /missing the account SID/],
    [['accounts', 'show', 'not-a-sid'], /account SID "not-a-sid" must be AC followed by 32 lowercase hex digits/],
    [['accounts', 'list', 'extra'], /unexpected argument "extra"/],
  ])('when called with %j, then exit 2 and one line naming the problem, without touching the database', async (argv, message) => {
    const unreachable = `postgres://postgres@127.0.0.1:${await getFreePort()}/none`;
    const result = await cli(argv, unreachable);
    expect(result.code).toBe(2);
    expect(oneLine(result.stderr)).toEqual([expect.stringMatching(message)]);
  });

  it('when asked for help, then the usage goes to stdout with exit 0; with no arguments, to stderr with exit 2', async () => {
    expect(await cli(['--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: webchat-admin') });
    expect(await cli([])).toMatchObject({ code: 2, stderr: expect.stringContaining('Usage: webchat-admin') });
  });

  it('when the database is unreachable, then exit 1 and one line naming it, without the password', async () => {
    const port = await getFreePort();
    const result = await cli(['accounts', 'list'], `postgres://admin:s3cret@127.0.0.1:${port}/webchat`);
    expect(result.code).toBe(1);
    expect(oneLine(result.stderr)).toEqual([
      `webchat-admin: cannot reach the database at postgres://admin:***@127.0.0.1:${port}/webchat: connect ECONNREFUSED 127.0.0.1:${port}`,
    ]);
  });
});

describe('webchat-admin seed-demo', () => {
  it('when run twice, then the demo account allows the demo site and the same stored key is printed both times', async () => {
    const first = await cli(['seed-demo', '--json']);
    expect(first.code).toBe(0);
    const seeded = JSON.parse(first.stdout) as { accountSid: string; allowedOrigins: string[]; deploymentKey: string; keyState: string };
    expect(seeded).toMatchObject({ accountSid: DEMO_ACCOUNT_SID, allowedOrigins: [DEMO_ORIGIN], keyState: 'registered' });
    expect((await readFile(path.join(devSecretsDir, DEMO_KEY_SECRET), 'utf8')).trim()).toBe(seeded.deploymentKey);

    const second = await cli(['seed-demo']);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`Deployment key: ${seeded.deploymentKey}`);
    expect(second.stderr).toContain('already registered');
    expect(await repo.findConfigurationByDeploymentKey(seeded.deploymentKey)).toMatchObject({
      accountSid: DEMO_ACCOUNT_SID,
      accountStatus: 'active',
      keyStatus: 'active',
      allowedOrigins: [DEMO_ORIGIN],
    });
    expect((await repo.getAccount(DEMO_ACCOUNT_SID))?.deploymentKeys).toHaveLength(1);

    await repo.revokeDeploymentKey(seeded.deploymentKey);
    await repo.setAccountStatus(DEMO_ACCOUNT_SID, 'suspended');
    const third = JSON.parse((await cli(['seed-demo', '--json'])).stdout) as { keyState: string; deploymentKey: string };
    expect(third).toMatchObject({ keyState: 'reactivated', deploymentKey: seeded.deploymentKey });
    expect(await repo.findConfigurationByDeploymentKey(seeded.deploymentKey)).toMatchObject({ accountStatus: 'active', keyStatus: 'active' });
  });
});

describe('webchat-admin migrate', () => {
  it('when the database is missing, then --create-database creates and migrates it, and a second run changes nothing', async () => {
    const adminUrl = process.env[ADMIN_URL_ENV] ?? '';
    const name = `${TEST_DATABASE_PREFIX}cli_${randomBytes(4).toString('hex')}`;
    const url = databaseUrl(adminUrl, name);
    try {
      const without = await cli(['migrate'], url);
      expect(without.code).toBe(1);
      expect(oneLine(without.stderr)).toEqual([expect.stringMatching(/does not exist.*--create-database/)]);

      expect(await cli(['migrate', '--create-database'], url)).toMatchObject({ code: 0, stdout: 'migrations applied\n' });
      expect(await cli(['migrate'], url)).toMatchObject({ code: 0 });
      expect(await cli(['accounts', 'list', '--json'], url)).toMatchObject({ code: 0, stdout: '[]\n' });
    } finally {
      await dropDatabase(adminUrl, name);
    }
  });

  it('when the database exists but is empty, then commands say to migrate first', async () => {
    const adminUrl = process.env[ADMIN_URL_ENV] ?? '';
    const name = `${TEST_DATABASE_PREFIX}cli_${randomBytes(4).toString('hex')}`;
    await createEmptyDatabase(adminUrl, name);
    try {
      const result = await cli(['accounts', 'list'], databaseUrl(adminUrl, name));
      expect(result.code).toBe(1);
      expect(oneLine(result.stderr)).toEqual([expect.stringMatching(/no webchat tables: run ".*migrate" first/)]);
    } finally {
      await dropDatabase(adminUrl, name);
    }
  });
});

describe('webchat-admin as a process', () => {
  it('when run through its bin, then create, issue and bad arguments behave as in-process, with real exit codes', async () => {
    const created = await spawnCli(process.execPath, [BIN, 'accounts', 'create', '--name', 'Spawned Inc', '--json']);
    expect(created.code).toBe(0);
    const { accountSid } = JSON.parse(created.stdout) as AccountDetails;

    // Independent of each other: two processes at once (each start-up is most of the time).
    const [issued, bad] = await Promise.all([
      spawnCli(process.execPath, [BIN, 'keys', 'issue', accountSid]),
      spawnCli(process.execPath, [BIN, 'config', 'set', accountSid, '--origins', 'not a url']),
    ]);
    expect(issued.code).toBe(0);
    expect(issued.stdout).toMatch(/^dk_[A-Za-z0-9_-]{32}\n$/);
    expect(await repo.findConfigurationByDeploymentKey(issued.stdout.trim())).toMatchObject({ accountSid, keyStatus: 'active' });

    expect(bad.code).toBe(2);
    expect(oneLine(bad.stderr)).toEqual([expect.stringMatching(/^webchat-admin: allowed origin "not a url" is not an origin/)]);
  });

  it('when run as `pnpm webchat-admin` from another folder, then the arguments reach it unchanged', async () => {
    const { accountSid } = await createAccount('Through pnpm');
    const welcome = `it's "quoted"; $HOME & more`;
    const result = await spawnCli('pnpm', ['--silent', 'webchat-admin', 'config', 'set', accountSid, '--welcome', welcome, '--json'], {
      cwd: path.join(REPO_ROOT, 'libs'),
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ accountSid, welcomeMessage: welcome });
  });
});
