/**
 * The production build as the images run it: each service bundled once by scripts/build-service.ts,
 * copied into a folder laid out like the image's /app (dist/, plus migrations/ and flags/ for the
 * orchestrator) with no node_modules anywhere above it, and started with plain `node` and production
 * settings. A token is then minted through the three bundles.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateServiceKeyPair } from '@webchat/service-auth';
import { createDatabase, databaseUrl, dropDatabase, getFreePort, waitForHttp, withClient } from '@webchat/testkit';
import { buildService } from '@webchat/deploy-tools';
import { generateDeploymentKey } from '@webchat/orchestrator/src/data-access/deployment-key';
import { generateEncryptionSecret, generateSigningKeyPem } from '@webchat/scoped-auth/src/domain/key-material';
import { repoPath } from '../src/paths';

jest.setTimeout(60_000);

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const started: Running[] = [];
let root: string;
let adminUrl: string;
const databaseName = `test_bundle_${process.pid}_${Date.now().toString(36)}`;
const appDir = (service: string) => join(root, service);

/** Only what we give it: jest's own NODE_ENV=test must not leak into a "production" start. */
function run(service: string, args: string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, args, { cwd: appDir(service), env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const running = { child, output: () => output, exited };
  started.push(running);
  return running;
}

async function startService(service: string, env: Record<string, string>): Promise<{ url: string; process: Running }> {
  const port = await getFreePort();
  const process = run(service, ['dist/start.js'], { NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env });
  const url = `http://127.0.0.1:${port}`;
  let exitCode: number | null | undefined;
  void process.exited.then((code) => (exitCode = code));
  await waitForHttp(`${url}/readyz`, {
    timeoutMs: 15_000,
    abortIf: () => (exitCode === undefined ? undefined : new Error(`${service} exited (${exitCode}):\n${process.output()}`)),
  });
  return { url, process };
}

async function stop(running: Running): Promise<number | null> {
  running.child.kill('SIGTERM');
  return running.exited;
}

const keys = {
  orchestrator: generateServiceKeyPair(),
  federatedAuth: generateServiceKeyPair(),
};

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'webchat-bundle-'));
  await Promise.all(['scoped-auth', 'federated-auth', 'orchestrator'].map((service) => buildService(service, { outDir: join(appDir(service), 'dist'), quiet: true })));
  cpSync(repoPath('services/orchestrator/migrations'), join(appDir('orchestrator'), 'migrations'), { recursive: true });
  cpSync(repoPath('services/orchestrator/flags'), join(appDir('orchestrator'), 'flags'), { recursive: true });

  const secrets = join(root, 'secrets');
  for (const [name, content] of Object.entries({
    'service-keys/orchestrator.pub.pem': keys.orchestrator.publicKeyPem,
    'service-keys/federated-auth.pub.pem': keys.federatedAuth.publicKeyPem,
    'signing/k1.pem': generateSigningKeyPem(),
    'encryption/k1.key': generateEncryptionSecret(),
  })) {
    mkdirSync(join(secrets, name, '..'), { recursive: true });
    writeFileSync(join(secrets, name), content);
  }

  adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? '';
  if (!adminUrl) throw new Error('TEST_DATABASE_ADMIN_URL is not set: run through the root jest config');
  await createDatabase(adminUrl, databaseName);
});

afterAll(async () => {
  for (const running of started) if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
  await Promise.all(started.map((running) => running.exited));
  if (adminUrl) await dropDatabase(adminUrl, databaseName);
  rmSync(root, { recursive: true, force: true });
});

/** LOG_IDENTITY_KEY: one value for the three services. */
const LOG_IDENTITY_KEY = 'l'.repeat(43);
const scopedAuthEnv = () => ({
  TOKEN_SIGNING_KEYS: join(root, 'secrets/signing'),
  TOKEN_ENCRYPTION_KEYS: join(root, 'secrets/encryption'),
  SERVICE_AUTH_PUBLIC_KEYS_DIR: join(root, 'secrets/service-keys'),
  LOG_IDENTITY_KEY,
});

describe('the production bundles (node dist/start.js, no node_modules)', () => {
  test('each image folder holds only the bundle and its data files', () => {
    expect(readdirSync(appDir('scoped-auth')).sort()).toEqual(['dist']);
    expect(readdirSync(appDir('orchestrator')).sort()).toEqual(['dist', 'flags', 'migrations']);
    expect(readdirSync(join(appDir('orchestrator'), 'dist')).filter((f) => f.endsWith('.js')).sort()).toEqual(['start.js', 'webchat-admin.js', 'webhook-dispatcher.js']);
  });

  test('when scoped-auth starts in production with its secrets, then /healthz and /readyz answer, and SIGTERM stops it cleanly', async () => {
    const { url, process } = await startService('scoped-auth', scopedAuthEnv());
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', service: 'scoped-auth' });
    expect(await stop(process)).toBe(0);
  });

  test.each([
    ['scoped-auth', 'TOKEN_SIGNING_KEYS'],
    ['federated-auth', 'SERVICE_AUTH_PRIVATE_KEY'],
    ['orchestrator', 'FINGERPRINT_SECRET'],
    ['orchestrator', 'IDENTITY_SECRETS_KEY'],
    ['scoped-auth', 'LOG_IDENTITY_KEY'],
    ['federated-auth', 'LOG_IDENTITY_KEY'],
    ['orchestrator', 'LOG_IDENTITY_KEY'],
  ])('when %s starts in production without %s, then it exits non-zero naming the variable', async (service, missing) => {
    const complete: Record<string, Record<string, string>> = {
      'scoped-auth': scopedAuthEnv(),
      'federated-auth': { SERVICE_AUTH_PRIVATE_KEY: keys.federatedAuth.privateKeyPem, SERVICE_AUTH_PUBLIC_KEYS_DIR: join(root, 'secrets/service-keys'), LOG_IDENTITY_KEY },
      orchestrator: {
        DATABASE_URL: databaseUrl(adminUrl, databaseName),
        FINGERPRINT_SECRET: 'f'.repeat(43),
        IDENTITY_SECRETS_KEY: 'i'.repeat(43),
        LOG_IDENTITY_KEY,
        SERVICE_AUTH_PRIVATE_KEY: keys.orchestrator.privateKeyPem,
        SERVICE_AUTH_PUBLIC_KEYS_DIR: join(root, 'secrets/service-keys'),
      },
    };
    const env = { ...complete[service] };
    delete env[missing];
    const running = run(service, ['dist/start.js'], { NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(await getFreePort()), ...env });
    expect(await running.exited).not.toBe(0);
    expect(running.output()).toContain(`${missing}: required in production`);
  });
});

describe('the orchestrator image: migrations, seed and the token path through the three bundles', () => {
  test('when webchat-admin migrate runs from the bundle on an empty database, then every migration is applied', async () => {
    const running = run('orchestrator', ['dist/webchat-admin.js', 'migrate'], { DATABASE_URL: databaseUrl(adminUrl, databaseName) });
    expect({ code: await running.exited, output: running.output() }).toMatchObject({ code: 0 });
    const applied = await withClient(databaseUrl(adminUrl, databaseName), (client) => client.query('SELECT name FROM pgmigrations ORDER BY run_on, id'));
    const files = readdirSync(repoPath('services/orchestrator/migrations')).map((f) => f.replace(/\.sql$/, '')).sort();
    expect(applied.rows.map((row: { name: string }) => row.name)).toEqual(files);
  });

  test('when the three bundles run in production, then a token is minted for the demo key that seed-demo registered as compose does', async () => {
    // compose mounts the demo key where webchat-admin keeps it: <working dir>/.dev-secrets.
    const demoKey = generateDeploymentKey();
    mkdirSync(join(appDir('orchestrator'), '.dev-secrets'), { recursive: true });
    writeFileSync(join(appDir('orchestrator'), '.dev-secrets/demo-deployment-key'), demoKey);
    const seed = run('orchestrator', ['dist/webchat-admin.js', 'seed-demo', '--json'], { DATABASE_URL: databaseUrl(adminUrl, databaseName) });
    expect(await seed.exited).toBe(0);
    expect(JSON.parse(seed.output().slice(seed.output().indexOf('{')))).toMatchObject({ deploymentKey: demoKey, keyState: 'registered' });

    const scoped = await startService('scoped-auth', scopedAuthEnv());
    const federated = await startService('federated-auth', {
      SCOPED_AUTH_URL: scoped.url,
      SERVICE_AUTH_PRIVATE_KEY: keys.federatedAuth.privateKeyPem,
      SERVICE_AUTH_PUBLIC_KEYS_DIR: join(root, 'secrets/service-keys'),
      LOG_IDENTITY_KEY,
    });
    const orchestrator = await startService('orchestrator', {
      DATABASE_URL: databaseUrl(adminUrl, databaseName),
      FEDERATED_AUTH_URL: federated.url,
      SCOPED_AUTH_URL: scoped.url,
      FINGERPRINT_SECRET: 'f'.repeat(43),
      IDENTITY_SECRETS_KEY: 'i'.repeat(43),
      LOG_IDENTITY_KEY,
      SERVICE_AUTH_PRIVATE_KEY: keys.orchestrator.privateKeyPem,
      SERVICE_AUTH_PUBLIC_KEYS_DIR: join(root, 'secrets/service-keys'),
    });
    const response = await fetch(`${orchestrator.url}/v2/Webchat/Token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: 'http://localhost:3000',
        'user-agent': 'deploy-checks',
        // The widget's fingerprint signals (the flags file turns webchat-security on).
        'x-webchat-sec-usersettings': JSON.stringify({ language: 'en-GB', cookieEnabled: true, timezoneOffset: 0 }),
        'x-webchat-sec-decoders': JSON.stringify({ 'video/webm': true }),
        'x-webchat-sec-webchatinfo': JSON.stringify({ loginTimestamp: Date.now() }),
      },
      body: JSON.stringify({ deploymentKey: demoKey }),
    });
    const body = (await response.json()) as { token?: string };
    expect({ status: response.status, body }).toMatchObject({ status: 200, body: { token: expect.any(String) } });
    for (const service of [orchestrator, federated, scoped]) expect(await stop(service.process)).toBe(0);
  });
});
