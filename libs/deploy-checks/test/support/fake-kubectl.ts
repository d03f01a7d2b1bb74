import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

/**
 * A folder holding an executable `kubectl` that runs the `kubectl create` stand-in (src/kubectl-create.ts);
 * put it first on PATH. Bundled once with esbuild so each call is a plain node start, not a TS compile.
 */
export function fakeKubectlDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fake-kubectl-'));
  const bundle = join(dir, 'kubectl-create.js');
  buildSync({
    stdin: { contents: `import { main } from '../../src/kubectl-create';\nmain(process.argv.slice(2));\n`, resolveDir: __dirname, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: bundle,
    logLevel: 'silent',
  });
  writeFileSync(join(dir, 'kubectl'), `#!/usr/bin/env bash\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(bundle)} "$@"\n`, { mode: 0o755 });
  return dir;
}
