/**
 * Production build: one esbuild bundle per service, `services/<svc>/dist/<entry>.js`, run with plain
 * `node` in the container images (no tsx, no TypeScript, no dev dependencies at run time).
 *
 *   pnpm tsx scripts/build-service.ts                 every service
 *   pnpm tsx scripts/build-service.ts scoped-auth     one or more by name
 *
 * Everything, third-party packages included, is bundled, so a runtime image needs `dist/` (plus the
 * orchestrator's `migrations/` and `flags/`) and no node_modules at all.
 */
import path from 'node:path';
import { SERVICE_BUILDS, buildService } from '@webchat/deploy-tools/src/build-service';
import { REPO_ROOT } from '@webchat/local-infra';

async function main(argv: string[]): Promise<void> {
  const names = argv.length > 0 ? argv : Object.keys(SERVICE_BUILDS);
  for (const name of names) {
    const outputs = await buildService(name);
    for (const file of outputs) process.stdout.write(`built ${path.relative(REPO_ROOT, file)}\n`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`build failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
