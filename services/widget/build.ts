/*
 * Bundles the widget into ONE browser file with esbuild:
 *   dist/webchat.js               the stable URL customers embed (/assets/webchat.js; short cache at Starship)
 *   dist/webchat.<hash>.js        the same bytes under a content hash (immutable cache; pin it with `integrity`)
 *   dist/manifest.json            which hashed file is current, its sizes and its SRI hash
 * Run: pnpm --filter @webchat/widget build   (or: tsx services/widget/build.ts [--out DIR])
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export const WIDGET_DIR = __dirname;
export const DEFAULT_OUT_DIR = resolve(__dirname, 'dist');
export const ENTRY = resolve(__dirname, 'src/index.ts');
export const BUNDLE_NAME = 'webchat.js';
const HASHED = /^webchat\.[0-9a-f]{10}\.js$/;

export interface WidgetManifest {
  name: 'webchat';
  version: string;
  file: string;
  hashedFile: string;
  bytes: number;
  gzipBytes: number;
  /** Subresource Integrity for either file (same bytes). */
  integrity: string;
  builtAt: string;
}

export interface BuildOptions {
  outDir?: string;
  minify?: boolean;
  version?: string;
}

function packageVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('./package.json') as { version: string }).version;
}

export async function buildWidget(options: BuildOptions = {}): Promise<WidgetManifest> {
  const outDir = resolve(options.outDir ?? DEFAULT_OUT_DIR);
  const version = options.version ?? packageVersion();
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'Webchat',
    platform: 'browser',
    target: ['es2020'],
    minify: options.minify ?? true,
    legalComments: 'none',
    charset: 'utf8',
    sourcemap: false,
    define: { __WEBCHAT_VERSION__: JSON.stringify(version) },
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output || result.outputFiles.length !== 1) throw new Error(`esbuild produced ${result.outputFiles.length} files; expected one`);
  const code = Buffer.from(output.contents);
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 10);
  const manifest: WidgetManifest = {
    name: 'webchat',
    version,
    file: BUNDLE_NAME,
    hashedFile: `webchat.${hash}.js`,
    bytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    integrity: `sha384-${createHash('sha384').update(code).digest('base64')}`,
    builtAt: new Date().toISOString(),
  };

  mkdirSync(outDir, { recursive: true });
  for (const name of readdirSync(outDir)) if (HASHED.test(name) && name !== manifest.hashedFile) rmSync(join(outDir, name));
  // Each file appears whole (rename is atomic), so Starship never serves half a bundle.
  const put = (name: string, data: string | Buffer) => {
    const temp = join(outDir, `.${name}.tmp`);
    writeFileSync(temp, data);
    renameSync(temp, join(outDir, name));
  };
  put(manifest.hashedFile, code);
  put(BUNDLE_NAME, code);
  put('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

if (require.main === module) {
  const at = process.argv.indexOf('--out');
  const outDir = at > 0 ? process.argv[at + 1] : undefined;
  buildWidget(outDir ? { outDir } : {}).then(
    (m) => {
      process.stdout.write(`webchat widget ${m.version}: ${m.file} + ${m.hashedFile}, ${m.bytes} bytes (${m.gzipBytes} gzip) in ${outDir ?? DEFAULT_OUT_DIR}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`widget build failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
