import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@webchat/testkit';
import { loadCliConfig } from '../src/cli/config';
import { createAccountRepository, type AccountRepository } from '../src/data-access/account-repository';
import type { Database } from '../src/data-access/pool';
import { createRefusedOriginRepository } from '../src/data-access/refused-origins';
import { useCliFixture, type CliResult } from './support/cli';

const BIN = path.resolve(__dirname, '../src/cli/bin.cjs');

const fixture = useCliFixture('widget');
const cli = (argv: string[]): Promise<CliResult> => fixture.cli(argv);
let db: Database;
let repo: AccountRepository;
let dir: string;

beforeAll(() => {
  ({ db, devSecretsDir: dir } = fixture);
  repo = createAccountRepository(db);
});

async function file(name: string, content: unknown): Promise<string> {
  const target = path.join(dir, name);
  await writeFile(target, typeof content === 'string' ? content : JSON.stringify(content));
  return target;
}

const newAccount = async () => (await repo.createAccount({ friendlyName: `Widget ${Math.random().toString(16).slice(2, 8)}` })).accountSid;

describe('webchat-admin: the widget configuration', () => {
  it('when a valid file is imported, then the account has it, `config show` prints it back in the same format, and the welcome message is set', async () => {
    const sid = await newAccount();
    const config = {
      welcomeMessage: 'Hola, ¿en qué te ayudamos?',
      brandColor: '#0b6e4f',
      position: 'left',
      title: 'Acme',
      fields: [
        { name: 'name', type: 'text', required: true, maxLength: 100 },
        { name: 'plan', type: 'select', label: 'Plan', required: false, maxLength: 20, options: ['Free', 'Pro'] },
      ],
      texts: { es: { startChat: 'Empezar' } },
    };
    const imported = await cli(['config', 'import', sid, await file('good.json', config)]);
    expect(imported).toMatchObject({ code: 0 });
    expect(imported.stdout).toMatch(/widget configuration imported/);
    expect(imported.stderr).toMatch(/^webchat-admin: database postgres:\/\/\S+ \(from DATABASE_URL\)\n$/);
    const shown = await cli(['config', 'show', sid]);
    expect(JSON.parse(shown.stdout)).toEqual(config);
    expect((await repo.getAccount(sid))?.welcomeMessage).toBe(config.welcomeMessage);
  });

  it('when the file has several mistakes, then each is named with where it is, exit 2, and nothing is written', async () => {
    const sid = await newAccount();
    await cli(['config', 'set', sid, '--title', 'Before']);
    const bad = {
      brandColor: '#ffcc00',
      position: 'middle',
      fields: [{ name: 'orderNumber', type: 'text' }],
      texts: { es: { startChat: 'Ya', colour: 'x' } },
      theme: 'dark',
    };
    const result = await cli(['config', 'import', sid, await file('bad.json', bad)]);
    expect(result.code).toBe(2);
    const message = result.stderr.split('\n').filter((line) => line.startsWith('webchat-admin: invalid'))[0] ?? '';
    expect(message).toMatch(/brandColor: is too light: white text on it must have a contrast of at least 4\.5:1 \(WCAG AA\)/);
    expect(message).toMatch(/position: /);
    expect(message).toMatch(/fields\.0\.label: custom field "orderNumber" needs a label/);
    expect(message).toMatch(/texts\.es/);
    expect(message).toMatch(/unknown setting "theme"/);
    expect((await repo.getAccount(sid))?.widget).toEqual({ title: 'Before' });
  });

  it('when the file is missing or not JSON, then one line says so, exit 2', async () => {
    const sid = await newAccount();
    expect(await cli(['config', 'import', sid, path.join(dir, 'nope.json')])).toMatchObject({ code: 2, stderr: expect.stringMatching(/cannot read .*nope\.json: no such file/) });
    expect(await cli(['config', 'import', sid, await file('broken.json', '{"brandColor": ')])).toMatchObject({ code: 2, stderr: expect.stringMatching(/broken\.json is not valid JSON/) });
  });

  it('config set: the colour is contrast-checked, the other flags merge into what is there, an empty value goes back to the default', async () => {
    const sid = await newAccount();
    const light = await cli(['config', 'set', sid, '--brand-color', '#9ad0ff']);
    expect(light.code).toBe(2);
    expect(light.stderr).toMatch(/brandColor: is too light/);
    expect((await cli(['config', 'set', sid, '--brand-color', '#1F4FD1', '--title', 'Help'])).code).toBe(0);
    expect((await cli(['config', 'set', sid, '--position', 'left', '--title', ''])).code).toBe(0);
    expect((await repo.getAccount(sid))?.widget).toEqual({ brandColor: '#1f4fd1', position: 'left' });
  });
});

describe('webchat-admin origins refused', () => {
  it('lists the refused origins, most recent first, with counts, and says how to allow one', async () => {
    const sid = await newAccount();
    await repo.updateConfiguration(sid, { allowedOrigins: ['https://shop.example.com'] });
    const refused = createRefusedOriginRepository(db);
    await refused.record(sid, 'https://staging.example.com', 4);
    await refused.record(sid, 'http://localhost:5173', 1);
    const result = await cli(['origins', 'refused', sid]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/origins refused .*Allowed origins: https:\/\/shop\.example\.com/);
    expect(lines[2]).toMatch(/^\s+http:\/\/localhost:5173\s+1\s/);
    expect(lines[3]).toMatch(/^\s+https:\/\/staging\.example\.com\s+4\s/);
    expect(lines.at(-1)).toBe(`To allow one: webchat-admin config set ${sid} --origins https://shop.example.com,http://localhost:5173`);
    const json = JSON.parse((await cli(['origins', 'refused', sid, '--json'])).stdout) as Array<{ origin: string; refusals: number }>;
    expect(json.map(({ origin, refusals }) => ({ origin, refusals }))).toEqual([
      { origin: 'http://localhost:5173', refusals: 1 },
      { origin: 'https://staging.example.com', refusals: 4 },
    ]);
  });

  it('an account nothing was refused for says so; an unknown account exits 1', async () => {
    const sid = await newAccount();
    expect((await cli(['origins', 'refused', sid])).stdout).toMatch(/no origin has been refused/);
    expect((await cli(['origins', 'refused', 'AC' + '0'.repeat(32)])).code).toBe(1);
  });
});

describe('webchat-admin finds the local system by WEBCHAT_PG_PORT', () => {
  it('without DATABASE_URL it uses the private cluster on WEBCHAT_PG_PORT; DATABASE_URL wins when set', async () => {
    // The config also carries the generated dev identity-secrets key: generated into a directory of this test's own.
    const devSecrets = await mkdtemp(path.join(tmpdir(), 'cli-config-'));
    try {
      const database = (env: NodeJS.ProcessEnv) => {
        const { databaseUrl, source } = loadCliConfig(env, devSecrets);
        return { databaseUrl, source };
      };
      expect(database({ WEBCHAT_PG_PORT: '55999' })).toEqual({ databaseUrl: 'postgres://postgres@127.0.0.1:55999/webchat', source: 'WEBCHAT_PG_PORT=55999' });
      expect(database({})).toEqual({ databaseUrl: 'postgres://postgres@127.0.0.1:54320/webchat', source: 'the local default port 54320' });
      expect(database({ WEBCHAT_PG_PORT: '55999', DATABASE_URL: 'postgres://u@db.internal:5432/x' })).toEqual({ databaseUrl: 'postgres://u@db.internal:5432/x', source: 'DATABASE_URL' });
    } finally {
      await rm(devSecrets, { recursive: true, force: true });
    }
  });

  it('run as a command, it prints which database it talks to before it connects (here: a closed port, so it then fails plainly)', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, WEBCHAT_PG_PORT: '1' };
    delete env.DATABASE_URL;
    const result = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [BIN, 'accounts', 'list'], { cwd: REPO_ROOT, env, timeout: 30_000 }, (error, _stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr: String(stderr) });
      });
    });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toBe('webchat-admin: database postgres://postgres@127.0.0.1:1/webchat (from WEBCHAT_PG_PORT=1)');
    expect(lines[1]).toMatch(/cannot reach the database at postgres:\/\/postgres@127\.0\.0\.1:1\/webchat/);
  });
});
