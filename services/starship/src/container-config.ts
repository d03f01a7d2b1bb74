/**
 * The one place the container flavour of Starship's nginx config is rendered. The Starship image
 * (services/starship/Dockerfile) and the Kubernetes ConfigMap (k8s/base/starship/nginx.conf) both come from
 * nginx/starship.conf.template with STARSHIP_CONTAINER_OPTIONS (config.ts), so compose and Kubernetes cannot drift.
 *
 *   pnpm tsx services/starship/src/container-config.ts              rewrite k8s/base/starship/nginx.conf
 *   pnpm tsx services/starship/src/container-config.ts --out F      write it elsewhere (the image build)
 *
 * Options that override one setting (a config for another host): --listen-port N, --listen-host HOST,
 * --upstream HOST:PORT, --prefix DIR, --assets DIR, --token-rate RATE, --token-burst N, --access-log PATH,
 * --error-log PATH|stderr. The local flavour (with the demo site) is the local runner's (scripts/local).
 *
 * The rate limits come from STARSHIP_TOKEN_RATE, STARSHIP_TOKEN_BURST, STARSHIP_TOKEN_USE_RATE and
 * STARSHIP_TOKEN_USE_BURST (config.ts, validated there, defaults when unset): the image build gets them as build
 * arguments (compose passes them); the committed ConfigMap holds the defaults.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { STARSHIP_CONTAINER_OPTIONS, loadStarshipLimits } from './config';
import { renderStarshipConfig, type StarshipRenderOptions } from './render';

export const STARSHIP_K8S_CONFIG = resolve(__dirname, '../../../k8s/base/starship/nginx.conf');

const HEADER =
  '# Container flavour (the Starship image and k8s/base/starship/nginx.conf), written by\n' +
  '# `pnpm tsx services/starship/src/container-config.ts`; a test fails when this copy is stale.\n';

export function renderContainerStarshipConfig(overrides: Partial<StarshipRenderOptions> = {}): string {
  return HEADER + renderStarshipConfig({ ...STARSHIP_CONTAINER_OPTIONS, ...overrides });
}

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      'listen-port': { type: 'string' },
      'listen-host': { type: 'string' },
      upstream: { type: 'string' },
      prefix: { type: 'string' },
      assets: { type: 'string' },
      'token-rate': { type: 'string' },
      'token-burst': { type: 'string' },
      'access-log': { type: 'string' },
      'error-log': { type: 'string' },
    },
  });
  const overrides: Partial<StarshipRenderOptions> = {
    ...loadStarshipLimits(),
    ...(values['listen-port'] ? { listenPort: Number(values['listen-port']) } : {}),
    ...(values['listen-host'] ? { listenHost: values['listen-host'] } : {}),
    ...(values.upstream ? { orchestratorUpstream: values.upstream } : {}),
    ...(values.prefix ? { prefixDir: resolve(values.prefix) } : {}),
    ...(values.assets ? { assetsDir: resolve(values.assets) } : {}),
    ...(values['token-rate'] ? { tokenRate: values['token-rate'] } : {}),
    ...(values['token-burst'] ? { tokenBurst: Number(values['token-burst']) } : {}),
    ...(values['access-log'] ? { accessLog: values['access-log'] } : {}),
    ...(values['error-log'] ? { errorLog: values['error-log'] } : {}),
  };
  const out = resolve(values.out ?? STARSHIP_K8S_CONFIG);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, renderContainerStarshipConfig(overrides));
  process.stdout.write(`rendered container Starship config to ${out}\n`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
