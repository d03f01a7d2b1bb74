/**
 * Production build: one esbuild bundle per service, `services/<svc>/dist/<entry>.js`, run with plain
 * `node` in the container images (no tsx, no TypeScript, no dev dependencies at run time). The command
 * line is scripts/build-service.ts.
 *
 * Everything, third-party packages included, is bundled, so a runtime image needs `dist/` (plus the
 * orchestrator's `migrations/` and `flags/`) and no node_modules at all.
 */
import { build, type Plugin } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from '@webchat/local-infra';

export interface ServiceBuild {
  /** Entry points, relative to the service folder; each becomes `dist/<basename>.js`. */
  entries: string[];
  /** Packages left to `require()` at run time (optional native add-ons nothing here uses). */
  external?: string[];
}

export const SERVICE_BUILDS: Record<string, ServiceBuild> = {
  'scoped-auth': { entries: ['src/start.ts'] },
  'federated-auth': { entries: ['src/start.ts'] },
  // webchat-admin is the migrations image's command (`node dist/webchat-admin.js migrate`); webhook-dispatcher
  // is the dispatcher Deployment's (`node dist/webhook-dispatcher.js`).
  // pg-native: pg's optional native binding, required only when `pg.native` is used (never here).
  orchestrator: { entries: ['src/start.ts', 'src/cli/webchat-admin.ts', 'src/webhook-dispatcher.ts'], external: ['pg-native'] },
};

/**
 * Source files find their data (migrations, flags file) relative to `__dirname`. In one bundle every
 * module would share the bundle's folder, so each workspace file's `__dirname` is rewritten to the
 * folder it had in the source tree, expressed relative to the bundle: `dist/../src/data-access` keeps
 * `../../migrations` pointing at `<service>/migrations`, in the repo and in the image alike.
 */
function sourceDirnamePlugin(distDir: string): Plugin {
  return {
    name: 'source-dirname',
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        const source = await readFile(args.path, 'utf8');
        if (!source.includes('__dirname')) return { contents: source, loader: 'ts' };
        const relative = path.relative(distDir, path.dirname(args.path)).split(path.sep).join('/');
        const replaced = source.replace(/\b__dirname\b/g, `require('node:path').join(__dirname, ${JSON.stringify(relative)})`);
        return { contents: replaced, loader: 'ts' };
      });
    },
  };
}

export interface BuildOptions {
  /**
   * Where the bundles go; default `services/<svc>/dist`. Paths in the bundle stay relative to
   * `<svc>/dist` either way, so a different folder must sit in the same layout (migrations/ beside it).
   */
  outDir?: string;
  quiet?: boolean;
}

export async function buildService(name: string, { outDir, quiet = false }: BuildOptions = {}): Promise<string[]> {
  const spec = SERVICE_BUILDS[name];
  if (!spec) throw new Error(`unknown service "${name}"; known: ${Object.keys(SERVICE_BUILDS).join(', ')}`);
  const serviceDir = path.join(REPO_ROOT, 'services', name);
  const distDir = path.join(serviceDir, 'dist');
  const targetDir = outDir ?? distDir;
  await rm(targetDir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: spec.entries.map((entry) => path.join(serviceDir, entry)),
    outdir: targetDir,
    // Flat: every bundle sits directly in dist/, which is what the __dirname rewrite assumes.
    entryNames: '[name]',
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    sourcemap: 'linked',
    // Stack traces and logged error names stay readable.
    keepNames: true,
    minify: false,
    legalComments: 'linked',
    external: spec.external ?? [],
    // Some packages ship both builds; the CommonJS one avoids ESM-in-CJS interop surprises.
    mainFields: ['main', 'module'],
    plugins: [sourceDirnamePlugin(distDir)],
    logLevel: quiet ? 'error' : 'warning',
    metafile: true,
  });
  return Object.keys(result.metafile.outputs)
    .filter((file) => file.endsWith('.js'))
    .map((file) => path.resolve(REPO_ROOT, file));
}
