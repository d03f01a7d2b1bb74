/**
 * Writes the git-ignored `.env` that docker-compose.yml reads every secret and key from, with fresh
 * keys, and renders the demo page (with the demo deployment key) that the compose demo site serves.
 *
 *   pnpm tsx scripts/make-env.ts && docker compose up --build
 *
 * An existing `.env` is kept (the Postgres volume was initialised with its password); `--force`
 * replaces it (then also `docker compose down -v`, or the old database refuses the new password).
 *
 * It also writes the public files the containers mount, derived from .env on every run: the callers'
 * public keys and the demo deployment key (--keys-dir), and the demo page (--demo-dir).
 *
 * Options: --out FILE (default .env), --demo-dir DIR (default deploy/compose/demo),
 *          --keys-dir DIR (default deploy/compose/keys), --base-url URL (where browsers reach Starship; default http://localhost:8080), --force.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { makeEnv } from '@webchat/deploy-tools/src/make-env';
import { REPO_ROOT } from '@webchat/local-infra';
import { DEMO_ORIGIN } from '@webchat/orchestrator/src/cli/seed-demo';

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string', default: resolve(REPO_ROOT, '.env') },
      'demo-dir': { type: 'string', default: resolve(REPO_ROOT, 'deploy/compose/demo') },
      'keys-dir': { type: 'string', default: resolve(REPO_ROOT, 'deploy/compose/keys') },
      'base-url': { type: 'string', default: 'http://localhost:8080' },
      force: { type: 'boolean', default: false },
    },
  });
  const result = makeEnv({
    out: resolve(values.out),
    demoDir: resolve(values['demo-dir']),
    keysDir: resolve(values['keys-dir']),
    baseUrl: values['base-url'],
    force: values.force,
    launchDarklySdkKey: process.env.LAUNCHDARKLY_SDK_KEY ?? '',
  });
  process.stdout.write(
    result.created
      ? `wrote ${values.out} with fresh keys (git-ignored; keep it private)\n`
      : `kept the existing ${values.out} (--force makes new keys; then docker compose down -v as well)\n`,
  );
  process.stdout.write(`wrote the public files compose mounts to ${values['keys-dir']}\n`);
  process.stdout.write(`rendered the demo page ${result.demoPage}\nnext: docker compose up --build, then open ${DEMO_ORIGIN}\n`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`make-env: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
