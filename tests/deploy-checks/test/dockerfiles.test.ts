/**
 * The images cannot be built here (no Docker engine), so their Dockerfiles are read statically: the
 * shape the issue asks for, and a build context (.dockerignore) that has what the build needs and
 * none of the secrets.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { envOf, execForm, readDockerfile, type Stage } from '../src/dockerfile';
import { repoPath } from '../src/paths';

const NODE_SERVICES = { orchestrator: 4000, 'federated-auth': 4100, 'scoped-auth': 4200 } as const;
const ROOT_PACKAGE = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { packageManager: string; engines: { node: string } };
const PNPM_VERSION = ROOT_PACKAGE.packageManager.replace('pnpm@', '');
/** `>=24`: the images run the major the project supports, the one its tests run on. */
const SUPPORTED_NODE_MAJOR = Number(/^>=(\d+)$/.exec(ROOT_PACKAGE.engines.node)?.[1]);

const runtimeOf = (stages: Stage[]): Stage => stages[stages.length - 1]!;
const argsOf = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

test('the supported Node is an LTS major of 24 or newer, and scripts/ensure-node.sh installs that major', () => {
  expect(SUPPORTED_NODE_MAJOR).toBeGreaterThanOrEqual(24);
  expect(SUPPORTED_NODE_MAJOR % 2).toBe(0);
  const script = readFileSync(repoPath('scripts/ensure-node.sh'), 'utf8');
  expect(script).toContain(`NODE_MAJOR=${SUPPORTED_NODE_MAJOR}\n`);
  expect(script).toMatch(new RegExp(`\\nNODE_VERSION=${SUPPORTED_NODE_MAJOR}\\.\\d+\\.\\d+\\n`));
});

describe.each(Object.entries(NODE_SERVICES))('services/%s/Dockerfile', (service, port) => {
  const { stages } = readDockerfile(repoPath(`services/${service}/Dockerfile`));
  const build = stages[0]!;
  const runtime = runtimeOf(stages);

  test(`two stages on node:${SUPPORTED_NODE_MAJOR}-bookworm-slim (the supported Node of package.json's engines), pinned by tag`, () => {
    expect(stages.map((s) => s.from)).toEqual([`node:${SUPPORTED_NODE_MAJOR}-bookworm-slim`, `node:${SUPPORTED_NODE_MAJOR}-bookworm-slim`]);
  });

  test(`the build stage installs pnpm ${PNPM_VERSION} (the packageManager pin), the frozen lockfile, and bundles with scripts/build-service.ts`, () => {
    const runs = argsOf(build, 'RUN');
    expect(runs).toContainEqual(expect.stringMatching(new RegExp(`npm i(nstall)? -g .*pnpm@${PNPM_VERSION.replace(/\./g, '\\.')}`)));
    expect(runs).toContainEqual(expect.stringContaining('pnpm install --frozen-lockfile'));
    expect(runs).toContainEqual(`pnpm exec tsx scripts/build-service.ts ${service}`);
  });

  test('the runtime stage holds the bundle only and runs it with node as the node user, in production, on all interfaces', () => {
    expect(argsOf(runtime, 'RUN')).toEqual([]);
    for (const copy of argsOf(runtime, 'COPY')) expect(copy).toMatch(/^--from=build /);
    expect(argsOf(runtime, 'COPY').join(' ')).not.toContain('node_modules');
    expect(argsOf(runtime, 'USER')).toEqual(['node']);
    expect(envOf(runtime)).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0', PORT: String(port) });
    expect(argsOf(runtime, 'EXPOSE')).toEqual([String(port)]);
    expect(execForm(argsOf(runtime, 'CMD')[0] ?? '')).toEqual(['node', 'dist/start.js']);
    expect(argsOf(runtime, 'ENTRYPOINT')).toEqual([]);
  });

  test('a HEALTHCHECK fetches /healthz with node', () => {
    const [healthcheck = ''] = argsOf(runtime, 'HEALTHCHECK');
    const command = execForm(healthcheck.slice(healthcheck.indexOf('CMD') + 3)) ?? [];
    expect(command.slice(0, 2)).toEqual(['node', '-e']);
    expect(command[2]).toMatch(/fetch\(.*\/healthz/);
  });
});

describe('services/orchestrator/Dockerfile as the migrations image', () => {
  test('it ships the webchat-admin bundle, the SQL migrations and the flags file beside dist/', () => {
    const copies = argsOf(runtimeOf(readDockerfile(repoPath('services/orchestrator/Dockerfile')).stages), 'COPY').join('\n');
    expect(copies).toContain('/src/services/orchestrator/dist/ ./dist/');
    expect(copies).toContain('/src/services/orchestrator/migrations/ ./migrations/');
    expect(copies).toContain('/src/services/orchestrator/flags/ ./flags/');
  });
});

/** .dockerignore patterns as Docker reads them (the subset used: `**`, `*`, literal paths). */
function ignored(path: string, patterns: string[]): boolean {
  let result = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pattern = negate ? raw.slice(1) : raw;
    const regex = new RegExp(
      `^${pattern
        .split('**/')
        .map((part) => part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
        .join('(?:.*/)?')}(?:/.*)?$`,
    );
    if (regex.test(path)) result = !negate;
  }
  return result;
}

describe('.dockerignore', () => {
  const patterns = readFileSync(repoPath('.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));

  test('keeps secrets, local state and host builds out of the build context', () => {
    for (const path of ['.env', '.env.local', '.dev-secrets/service-keys/orchestrator.key.pem', '.git/config', 'node_modules/x', 'services/orchestrator/dist/start.js', 'services/scoped-auth/node_modules/x', '.data/pg/PG_VERSION']) {
      expect({ path, ignored: ignored(path, patterns) }).toEqual({ path, ignored: true });
    }
  });

  test('keeps everything the builds read: workspace manifests, the lockfile, sources, migrations, the Starship template', () => {
    const needed = [
      'package.json',
      'pnpm-lock.yaml',
      'pnpm-workspace.yaml',
      'tsconfig.base.json',
      'scripts/build-service.ts',
      'libs/config/src/index.ts',
      'services/starship/src/container-config.ts',
      'services/orchestrator/migrations',
      'services/orchestrator/flags/webchat-flags.json',
      'services/starship/nginx/starship.conf.template',
      'services/starship/src/render.ts',
      'services/widget/package.json',
    ];
    for (const path of needed) {
      expect({ path, exists: existsSync(repoPath(path)), ignored: ignored(path, patterns) }).toEqual({ path, exists: true, ignored: false });
    }
    // pnpm install --frozen-lockfile needs every workspace package's manifest.
    // pnpm 12 writes the lockfile as several YAML documents (config dependencies first, then the workspace).
    const importers = parseAllDocuments(readFileSync(repoPath('pnpm-lock.yaml'), 'utf8'))
      .map((doc) => Object.keys((doc.toJS() as { importers?: object } | null)?.importers ?? {}))
      .reduce((most, keys) => (keys.length > most.length ? keys : most), []);
    expect(importers.length).toBeGreaterThan(5);
    for (const importer of importers) {
      const manifest = importer === '.' ? 'package.json' : `${importer}/package.json`;
      expect({ manifest, ignored: ignored(manifest, patterns) }).toEqual({ manifest, ignored: false });
    }
  });
});

describe('services/starship/Dockerfile', () => {
  const { stages } = readDockerfile(repoPath('services/starship/Dockerfile'));

  test('it builds the widget with its own build script and serves its dist/ under /assets/', () => {
    const widget = JSON.parse(readFileSync(repoPath('services/widget/package.json'), 'utf8')) as { name: string; scripts?: Record<string, string> };
    expect(widget.scripts?.build).toBeDefined();
    expect(argsOf(stages[0]!, 'RUN')).toContainEqual(expect.stringContaining(`pnpm --filter ${widget.name}`));
    expect(argsOf(runtimeOf(stages), 'COPY')).toContainEqual('--from=build /src/services/widget/dist/ /usr/share/starship/assets/');
  });

  test('nginx stops gracefully (SIGQUIT) and is health-checked on /healthz', () => {
    const runtime = runtimeOf(stages);
    expect(argsOf(runtime, 'STOPSIGNAL')).toEqual(['SIGQUIT']);
    expect(argsOf(runtime, 'HEALTHCHECK')[0]).toContain('http://127.0.0.1:8080/healthz');
  });
});
