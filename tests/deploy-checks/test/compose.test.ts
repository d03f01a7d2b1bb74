import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeSchemaErrors, dclint, interpolatedVariables, parseCompose, readCompose } from '../src/compose';
import { parseEnvFile } from '@webchat/deploy-tools';
import { PROGRAMS, composeEnvironment } from '../src/env-coverage';
import { repoPath } from '../src/paths';
import { composeConfigFiles, generateComposeEnv } from '@webchat/deploy-tools';
import { StarshipLimitsEnv } from '@webchat/starship/src/config';
import { DEFAULTS } from '@webchat/starship/src/render';

interface ComposeServiceShape {
  image?: string;
  build?: unknown;
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] };
  ports?: string[];
  networks?: string[];
  volumes?: string[];
  restart?: string;
  read_only?: boolean;
  cap_drop?: string[];
}

const { text, compose } = readCompose();
/**
 * Where the host publishes and where make-env's files are (the tests move them), and Starship's rate limits
 * (build arguments): the caller's choice, with defaults in the file.
 */
const HOST_SIDE_VARIABLES = [
  'DEMO_ALT_PORT',
  'DEMO_PORT',
  'STARSHIP_PORT',
  'WEBCHAT_COMPOSE_FILES',
  'STARSHIP_TOKEN_RATE',
  'STARSHIP_TOKEN_BURST',
  'STARSHIP_TOKEN_USE_RATE',
  'STARSHIP_TOKEN_USE_BURST',
];
const services = compose.services as Record<string, ComposeServiceShape>;

describe('docker-compose.yml against the Compose Specification (offline)', () => {
  test('when validated against the compose-spec JSON schema shipped by dclint, then there is no error', () => {
    expect(composeSchemaErrors(compose)).toEqual([]);
  });

  test('when linted by dclint with the project settings, then it reports nothing', () => {
    expect(dclint()).toEqual([]);
  });

  describe('a broken copy', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'compose-broken-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test('when a service key is mistyped (depends_onn), then the schema and dclint both reject it', () => {
      const broken = text.replace('    depends_on:\n      postgres:', '    depends_onn:\n      postgres:');
      expect(broken).not.toBe(text);
      const file = join(dir, 'docker-compose.yml');
      writeFileSync(file, broken);
      expect(composeSchemaErrors(parseCompose(broken))).toContainEqual(expect.stringContaining('must NOT have additional properties (depends_onn)'));
      expect(dclint(file)).toContainEqual(expect.stringContaining('error invalid-schema'));
    });

    test('when a dependency condition is misspelled, then the schema rejects it', () => {
      const broken = text.replace('condition: service_completed_successfully', 'condition: service_completed');
      expect(composeSchemaErrors(parseCompose(broken))).toContainEqual(expect.stringContaining('must be equal to one of the allowed values'));
    });
  });
});

describe('the compose system', () => {
  test('Postgres 15 keeps its data in a named volume and has a health check', () => {
    expect(services.postgres?.image).toMatch(/^postgres:15(\b|-)/);
    expect(services.postgres?.volumes).toContain('pgdata:/var/lib/postgresql/data');
    expect(Object.keys((compose as { volumes?: object }).volumes ?? {})).toContain('pgdata');
    expect(services.postgres?.healthcheck?.test.join(' ')).toContain('pg_isready');
  });

  test('migrations run once, after Postgres is healthy, and every service waits on their success', () => {
    expect(services.migrate?.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(services.migrate?.restart).toBe('no');
    expect(JSON.stringify(services.migrate)).toContain('"migrate"');
    expect(services.orchestrator?.depends_on).toMatchObject({ migrate: { condition: 'service_completed_successfully' } });
    expect(services['seed-demo']?.depends_on).toMatchObject({ migrate: { condition: 'service_completed_successfully' } });
  });

  test('every dependency has a condition, and every service_healthy target has a health check', () => {
    for (const [name, service] of Object.entries(services)) {
      const dependsOn = service.depends_on ?? {};
      expect(Array.isArray(dependsOn)).toBe(false);
      for (const [target, { condition }] of Object.entries(dependsOn as Record<string, { condition: string }>)) {
        expect({ service: name, target, known: target in services }).toEqual({ service: name, target, known: true });
        if (condition === 'service_healthy') expect({ target, healthcheck: Boolean(services[target]?.healthcheck) }).toEqual({ target, healthcheck: true });
      }
    }
  });

  test('the three services and Starship are built from this repository; every pulled image is pinned by tag', () => {
    for (const name of ['orchestrator', 'federated-auth', 'scoped-auth', 'starship']) expect(services[name]?.build).toBeDefined();
    for (const service of Object.values(services)) if (service.image) expect(service.image).toMatch(/:[0-9][\w.-]*$/);
  });

  test("Starship's rate limits are all build arguments of its image, defaulting to the code's defaults", () => {
    const args = (services.starship?.build as { args?: Record<string, string> } | undefined)?.args ?? {};
    expect(Object.keys(args).sort()).toEqual(Object.keys(StarshipLimitsEnv.shape).sort());
    expect(args).toEqual({
      STARSHIP_TOKEN_RATE: `\${STARSHIP_TOKEN_RATE:-${DEFAULTS.tokenRate}}`,
      STARSHIP_TOKEN_BURST: `\${STARSHIP_TOKEN_BURST:-${DEFAULTS.tokenBurst}}`,
      STARSHIP_TOKEN_USE_RATE: `\${STARSHIP_TOKEN_USE_RATE:-${DEFAULTS.tokenUseRate}}`,
      STARSHIP_TOKEN_USE_BURST: `\${STARSHIP_TOKEN_USE_BURST:-${DEFAULTS.tokenUseBurst}}`,
    });
  });

  test('only Starship (8080) and the demo site (3000, 3001) publish ports, on the loopback interface', () => {
    const published = Object.fromEntries(Object.entries(services).filter(([, s]) => s.ports).map(([name, s]) => [name, s.ports]));
    expect(published).toEqual({
      starship: ['127.0.0.1:${STARSHIP_PORT:-8080}:8080'],
      demo: ['127.0.0.1:${DEMO_ALT_PORT:-3001}:3001', '127.0.0.1:${DEMO_PORT:-3000}:3000'],
    });
  });

  test('networks mirror the NetworkPolicies: Starship meets only the orchestrator (and the demo site), scoped-auth only its two callers, Postgres only the orchestrator and the database jobs', () => {
    const peers = (name: string) =>
      Object.entries(services)
        .filter(([other, s]) => other !== name && (s.networks ?? []).some((n) => (services[name]?.networks ?? []).includes(n)))
        .map(([other]) => other)
        .sort();
    expect(peers('starship')).toEqual(['demo', 'orchestrator']);
    expect(peers('scoped-auth')).toEqual(['federated-auth', 'orchestrator']);
    expect(peers('postgres')).toEqual(['migrate', 'orchestrator', 'seed-demo', 'webhook-dispatcher']);
  });

  test('application containers run read-only with every capability dropped', () => {
    for (const name of ['migrate', 'seed-demo', 'orchestrator', 'federated-auth', 'scoped-auth', 'starship', 'demo']) {
      expect({ name, readOnly: services[name]?.read_only, capDrop: services[name]?.cap_drop }).toEqual({ name, readOnly: true, capDrop: ['ALL'] });
    }
  });
});

describe('secrets in compose', () => {
  test('no key material is written in the YAML', () => {
    expect(text).not.toMatch(/BEGIN [A-Z ]*KEY/);
    expect(text).not.toMatch(/dk_[A-Za-z0-9_-]{20,}/);
  });

  test('every secret variable a service reads is interpolated from .env, never a literal', () => {
    for (const [program, spec] of Object.entries(PROGRAMS)) {
      for (const service of spec.compose) {
        const env = composeEnvironment(compose, service);
        for (const name of spec.secrets) {
          const value = env.get(name)?.value ?? '';
          const fromEnvFile = value.includes('${');
          const mountedPath = name.endsWith('_DIR') && value.startsWith('/');
          expect({ program, service, name, value, ok: fromEnvFile || mountedPath }).toMatchObject({ ok: true });
        }
      }
    }
  });

  test('the variables compose interpolates, the ones make-env writes and the ones .env.example documents are the same', () => {
    const fromCompose = interpolatedVariables(text).filter((name) => !HOST_SIDE_VARIABLES.includes(name));
    const fromMakeEnv = generateComposeEnv().map((entry) => entry.name).sort();
    const fromExample = [...parseEnvFile(readFileSync(repoPath('.env.example'), 'utf8')).keys()].sort();
    // Read by compose itself (the project name) and by make-env for the files it writes (the demo keys).
    expect([...fromCompose, 'COMPOSE_PROJECT_NAME', 'DEMO_AGENT_KEY', 'DEMO_DEPLOYMENT_KEY'].sort()).toEqual(fromMakeEnv);
    expect(fromExample).toEqual(fromMakeEnv);
  });

  test('the host-side settings have defaults in the file and are documented in .env.example', () => {
    const example = readFileSync(repoPath('.env.example'), 'utf8');
    for (const name of HOST_SIDE_VARIABLES) {
      expect({ name, defaulted: new RegExp(`\\$\\{${name}:-[^}]+\\}`).test(text), documented: example.includes(`# ${name}=`) }).toEqual({ name, defaulted: true, documented: true });
    }
  });

  test('.env.example holds no secret value', () => {
    const example = parseEnvFile(readFileSync(repoPath('.env.example'), 'utf8'));
    const PUBLIC_VALUES: Record<string, string> = { LOG_LEVEL: 'info', COMPOSE_PROJECT_NAME: 'webchat' };
    for (const [name, value] of example) expect({ name, value }).toEqual({ name, value: PUBLIC_VALUES[name] ?? '' });
  });

  test('the key files compose bind-mounts are the ones make-env writes, read-only', () => {
    const KEYS = '${WEBCHAT_COMPOSE_FILES:-./deploy/compose}/keys/';
    const mounted = Object.values(services).flatMap((service) => (service.volumes ?? []).filter((volume) => volume.startsWith(KEYS)));
    expect(mounted.every((volume) => volume.endsWith(':ro'))).toBe(true);
    expect([...new Set(mounted.map((volume) => volume.slice(KEYS.length).split(':')[0]))].sort()).toEqual(
      [...composeConfigFiles(new Map(generateComposeEnv().map((entry) => [entry.name, entry.value]))).keys()].sort(),
    );
  });
});
