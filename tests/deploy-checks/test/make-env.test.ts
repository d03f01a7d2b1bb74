/**
 * `pnpm tsx scripts/make-env.ts && docker compose up`, minus Docker: the .env it writes is read the
 * way compose reads it (dotenv quoting, `${...}` interpolation, make-env's key files bind-mounted), and each
 * service's own config loader must accept the result in production mode.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ServiceTokenSigner, ServiceTokenVerifier, parsePrivateKey } from '@webchat/service-auth';
import { interpolate, readCompose } from '../src/compose';
import { composeEnvironment } from '../src/env-coverage';
import { makeEnv, type MakeEnvResult } from '@webchat/deploy-tools';
import { loadFederatedAuthConfig } from '@webchat/federated-auth/src/config';
import { loadCliConfig } from '@webchat/orchestrator/src/cli/config';
import { loadOrchestratorConfig } from '@webchat/orchestrator/src/config';
import { loadScopedAuthConfig } from '@webchat/scoped-auth/src/config';

const { compose } = readCompose();

let dir: string;
let made: MakeEnvResult;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'make-env-'));
  made = makeEnv({ out: join(dir, '.env'), demoDir: join(dir, 'demo'), keysDir: join(dir, 'keys'), baseUrl: 'http://localhost:8080' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A service's environment as its container would see it, with its bind-mounted files copied under `root`. */
function containerEnv(service: string, root: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const volumes = (compose.services[service] as { volumes?: string[] }).volumes ?? [];
  // The files compose would bind-mount from where make-env wrote them (WEBCHAT_COMPOSE_FILES = dir).
  const mounts = volumes.filter((volume) => volume.includes('/keys/')).map((volume) => {
    const [hostFile = '', target = ''] = interpolate(volume, new Map([['WEBCHAT_COMPOSE_FILES', dir]])).split(':');
    const file = join(root, target);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, readFileSync(hostFile));
    return dirname(target);
  });
  for (const [name, source] of composeEnvironment(compose, service)) {
    const value = interpolate(source.value ?? '', made.values);
    // A path into a mounted config folder points into our stand-in root instead.
    env[name] = mounts.some((mount) => value === mount || value.startsWith(`${mount}/`)) ? join(root, value) : value;
  }
  return env;
}

describe('scripts/make-env.ts and the compose environment', () => {
  test('when run, then it writes a private .env, the public files compose mounts, and the demo page with the demo key and Starship URL', () => {
    expect(made.created).toBe(true);
    expect(statSync(join(dir, '.env')).mode & 0o777).toBe(0o600);
    for (const name of ['orchestrator.pub.pem', 'federated-auth.pub.pem', 'demo-deployment-key', 'demo-agent-key']) {
      const file = join(dir, 'keys', name);
      // Readable by the containers' non-root users; a private key never lands here.
      expect({ name, mode: statSync(file).mode & 0o777, privateKey: readFileSync(file, 'utf8').includes('PRIVATE KEY') }).toEqual({ name, mode: 0o644, privateKey: false });
    }
    expect(readFileSync(join(dir, 'keys/demo-deployment-key'), 'utf8')).toBe(made.values.get('DEMO_DEPLOYMENT_KEY'));
    expect(readFileSync(join(dir, 'keys/demo-agent-key'), 'utf8')).toBe(made.values.get('DEMO_AGENT_KEY'));
    const page = readFileSync(made.demoPage, 'utf8');
    expect(page).toContain(made.values.get('DEMO_DEPLOYMENT_KEY'));
    expect(page).toContain('"baseUrl":"http://localhost:8080"');
  });

  test('when scoped-auth starts with the compose environment in production, then its config loads with the generated keys', () => {
    const config = loadScopedAuthConfig(containerEnv('scoped-auth', join(dir, 'scoped-auth')));
    expect(config.host).toBe('0.0.0.0');
    expect(config.keys.signing).toHaveLength(1);
    expect(config.keys.encryption).toHaveLength(1);
    expect(Object.keys(config.serviceAuth.publicKeys).sort()).toEqual(['federated-auth', 'orchestrator']);
  });

  test('when federated-auth signs a service token with its compose key, then scoped-auth (compose keys) accepts it', () => {
    const federated = loadFederatedAuthConfig(containerEnv('federated-auth', join(dir, 'federated-auth')));
    const scoped = loadScopedAuthConfig(containerEnv('scoped-auth', join(dir, 'scoped-auth-2')));
    const token = new ServiceTokenSigner({ issuer: 'federated-auth', privateKey: federated.serviceAuth.privateKey }).tokenFor('scoped-auth');
    const claims = new ServiceTokenVerifier({ audience: 'scoped-auth', publicKeys: scoped.serviceAuth.publicKeys }).verify(token);
    expect(claims.iss).toBe('federated-auth');
  });

  test('when the orchestrator starts with the compose environment in production, then its config and service keys load', () => {
    const env = containerEnv('orchestrator', join(dir, 'orchestrator'));
    const config = loadOrchestratorConfig(env);
    expect(config.NODE_ENV).toBe('production');
    expect(new URL(config.DATABASE_URL).password).toBe(made.values.get('POSTGRES_PASSWORD'));
    const signer = new ServiceTokenSigner({ issuer: 'orchestrator', privateKey: config.serviceAuthPrivateKey });
    const scoped = loadScopedAuthConfig(containerEnv('scoped-auth', join(dir, 'scoped-auth-3')));
    expect(new ServiceTokenVerifier({ audience: 'scoped-auth', publicKeys: scoped.serviceAuth.publicKeys }).verify(signer.tokenFor('scoped-auth')).iss).toBe(
      'orchestrator',
    );
  });

  test('when the migrations and seed jobs start, then they read the database URL with the generated password', () => {
    for (const service of ['migrate', 'seed-demo']) {
      expect(new URL(loadCliConfig(containerEnv(service, join(dir, service))).databaseUrl).password).toBe(made.values.get('POSTGRES_PASSWORD'));
    }
  });

  test('when a required value is missing from .env, then interpolation fails naming it, as compose would', () => {
    const without = new Map(made.values);
    without.delete('FINGERPRINT_SECRET');
    expect(() => interpolate('${FINGERPRINT_SECRET:?run pnpm tsx scripts/make-env.ts first}', without)).toThrow(/FINGERPRINT_SECRET/);
  });

  test('when run again, then the existing .env is kept (the database volume knows its password); --force replaces it', () => {
    const before = readFileSync(join(dir, '.env'), 'utf8');
    const again = makeEnv({ out: join(dir, '.env'), demoDir: join(dir, 'demo'), keysDir: join(dir, 'keys'), baseUrl: 'http://localhost:8080' });
    expect(again.created).toBe(false);
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe(before);
    const forced = makeEnv({ out: join(dir, '.env'), demoDir: join(dir, 'demo'), keysDir: join(dir, 'keys'), baseUrl: 'http://localhost:8080', force: true });
    expect(forced.created).toBe(true);
    expect(forced.values.get('POSTGRES_PASSWORD')).not.toBe(made.values.get('POSTGRES_PASSWORD'));
    expect(() => parsePrivateKey(forced.values.get('ORCHESTRATOR_SERVICE_AUTH_PRIVATE_KEY') ?? '')).not.toThrow();
  });

  test('when an older .env lacks a variable added since, then a run appends it and keeps every existing value', () => {
    const out = join(dir, 'old.env');
    const old = readFileSync(join(dir, '.env'), 'utf8').replace(/\n# The demo agent's key[^\n]*\nDEMO_AGENT_KEY=[^\n]*\n/, '\n');
    writeFileSync(out, old, { mode: 0o600 });
    expect(old).not.toContain('DEMO_AGENT_KEY=');
    const again = makeEnv({ out, demoDir: join(dir, 'old-demo'), keysDir: join(dir, 'old-keys'), baseUrl: 'http://localhost:8080' });
    expect(again.created).toBe(false);
    const text = readFileSync(out, 'utf8');
    expect(text.startsWith(old)).toBe(true);
    expect(again.values.get('DEMO_AGENT_KEY')).toMatch(/\S{20,}/);
    expect(readFileSync(join(dir, 'old-keys/demo-agent-key'), 'utf8')).toBe(again.values.get('DEMO_AGENT_KEY'));
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });
});
