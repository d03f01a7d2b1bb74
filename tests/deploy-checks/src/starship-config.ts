/**
 * The one place the container flavour of Starship's nginx config is decided. The Starship image
 * (services/starship/Dockerfile) and the Kubernetes ConfigMap (k8s/base/starship/nginx.conf) are both
 * rendered from services/starship/nginx/starship.conf.template with these options, so local,
 * compose and Kubernetes cannot drift.
 *
 *   pnpm tsx tests/deploy-checks/src/starship-config.ts            rewrite k8s/base/starship/nginx.conf
 *   pnpm tsx tests/deploy-checks/src/starship-config.ts --out F    write it elsewhere (the image build)
 *
 * The rate limits come from STARSHIP_TOKEN_RATE, STARSHIP_TOKEN_BURST, STARSHIP_TOKEN_USE_RATE and
 * STARSHIP_TOKEN_USE_BURST (services/starship/src/config.ts, validated there, defaults when unset): the image
 * build gets them as build arguments (compose passes them); the committed ConfigMap holds the defaults.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadStarshipLimits } from '@webchat/starship/src/config';
import { renderStarshipConfig, type StarshipRenderOptions } from '@webchat/starship/src/render';
import { REPO_ROOT } from './paths';

export const STARSHIP_K8S_CONFIG = resolve(REPO_ROOT, 'k8s/base/starship/nginx.conf');

/** Where the image keeps things; the k8s Deployment mounts the ConfigMap and an emptyDir to match. */
export const STARSHIP_CONTAINER = {
  configDir: '/etc/starship',
  configFile: '/etc/starship/nginx.conf',
  /** Writable (an emptyDir under a read-only root): pid file and nginx's temp folders. */
  prefixDir: '/tmp',
  assetsDir: '/usr/share/starship/assets',
  /** The agent desk's static files (services/starship/desk). */
  deskDir: '/usr/share/starship/desk',
  listenPort: 8080,
  /** The orchestrator's Service (Kubernetes) and service name (compose): the same DNS name in both. */
  orchestratorUpstream: 'orchestrator:4000',
} as const;

export const STARSHIP_CONTAINER_OPTIONS: StarshipRenderOptions = {
  mode: 'container',
  listenPort: STARSHIP_CONTAINER.listenPort,
  orchestratorUpstream: STARSHIP_CONTAINER.orchestratorUpstream,
  prefixDir: STARSHIP_CONTAINER.prefixDir,
  assetsDir: STARSHIP_CONTAINER.assetsDir,
  deskDir: STARSHIP_CONTAINER.deskDir,
  // `auto` would start one worker per node CPU, ignoring the pod's CPU limit.
  workerProcesses: 2,
};

const HEADER =
  '# Container flavour (the Starship image and k8s/base/starship/nginx.conf), written by\n' +
  '# `pnpm tsx tests/deploy-checks/src/starship-config.ts`; a test fails when this copy is stale.\n';

export function renderContainerStarshipConfig(overrides: Partial<StarshipRenderOptions> = {}): string {
  return HEADER + renderStarshipConfig({ ...STARSHIP_CONTAINER_OPTIONS, ...overrides });
}

function main(argv: string[]): void {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' } } });
  const out = resolve(values.out ?? STARSHIP_K8S_CONFIG);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, renderContainerStarshipConfig(loadStarshipLimits(process.env)));
  process.stdout.write(`rendered the container Starship config to ${out}\n`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
