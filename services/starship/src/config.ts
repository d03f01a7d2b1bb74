import { join, resolve } from 'node:path';
import { z } from 'zod';
import { envPort, loadConfig } from '@webchat/config';
import { DEFAULT_ASSETS_DIR, DEFAULTS, type StarshipRenderOptions } from './render';

const rate = (fallback: string, what: string) =>
  z
    .string()
    .regex(/^[1-9]\d*r\/[sm]$/, 'must be a rate like 10r/s or 30r/m (requests per second or minute, at least 1)')
    .default(fallback)
    .describe(what);
const burst = (fallback: number, what: string) => z.coerce.number().int().min(1).default(fallback).describe(what);

/**
 * Starship's limits, wherever it runs: the local runner (`pnpm start`), Starship alone, and the container
 * config (the image build and the Kubernetes ConfigMap, services/starship/src/container-config.ts).
 */
export const StarshipLimitsEnv = z.object({
  STARSHIP_TOKEN_RATE: rate(DEFAULTS.tokenRate, 'Per client address: sustained rate of minting, refreshing and creating conversations (nginx syntax); beyond it and the burst, 429'),
  STARSHIP_TOKEN_BURST: burst(DEFAULTS.tokenBurst, 'Per client address: requests allowed at once above STARSHIP_TOKEN_RATE'),
  STARSHIP_TOKEN_USE_RATE: rate(DEFAULTS.tokenUseRate, 'Per guest token, from any address: sustained rate of creating, reading and posting to conversations; beyond it and the burst, 429'),
  STARSHIP_TOKEN_USE_BURST: burst(DEFAULTS.tokenUseBurst, 'Per guest token: requests allowed at once above STARSHIP_TOKEN_USE_RATE'),
});

export type StarshipLimits = Required<Pick<StarshipRenderOptions, 'tokenRate' | 'tokenBurst' | 'tokenUseRate' | 'tokenUseBurst'>>;

const limitsOf = (raw: z.output<typeof StarshipLimitsEnv>): StarshipLimits => ({
  tokenRate: raw.STARSHIP_TOKEN_RATE,
  tokenBurst: raw.STARSHIP_TOKEN_BURST,
  tokenUseRate: raw.STARSHIP_TOKEN_USE_RATE,
  tokenUseBurst: raw.STARSHIP_TOKEN_USE_BURST,
});

/** The limits from the environment; a bad value throws a ConfigError naming the variable. */
export function loadStarshipLimits(env: NodeJS.ProcessEnv = process.env): StarshipLimits {
  return limitsOf(loadConfig(StarshipLimitsEnv, env));
}

/** `pnpm --filter @webchat/starship start`: Starship alone, in front of an orchestrator that is already running. */
export const StarshipEnv = StarshipLimitsEnv.extend({
  PORT: envPort(8080).describe('Port nginx listens on'),
  HOST: z.string().min(1).default('127.0.0.1').describe('Interface nginx binds'),
  ORCHESTRATOR_UPSTREAM: z.string().min(1).default('127.0.0.1:4000').describe('host:port of the orchestrator'),
  STARSHIP_PREFIX: z.string().optional().describe('nginx prefix folder (config, pid, logs); default <repo>/.data/starship-alone'),
  STARSHIP_ASSETS_DIR: z.string().optional().describe('What /assets/ serves'),
  STARSHIP_ACCESS_LOG: z.string().optional().describe('Access log file (/dev/stdout works from a terminal); default <prefix>/logs/access.log'),
  NGINX_BIN: z.string().min(1).default('/usr/sbin/nginx').describe('The nginx binary'),
});

export interface StarshipConfig {
  nginxBin: string;
  prefixDir: string;
  render: StarshipRenderOptions;
}

/**
 * Where the Starship image keeps things; the k8s Deployment mounts the ConfigMap and an emptyDir to match.
 * Fixed, not read from the environment: the image and the ConfigMap are rendered at build time (container-config.ts).
 */
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

/** The container flavour's render options: the image and k8s/base/starship/nginx.conf. */
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

/** The only reader of process.env in Starship; `runsAsRoot` decides nginx's worker user. */
export function loadStarshipConfig(env: NodeJS.ProcessEnv = process.env, runsAsRoot = process.getuid?.() === 0): StarshipConfig {
  const raw = loadConfig(StarshipEnv, env);
  const prefixDir = resolve(raw.STARSHIP_PREFIX ?? join(__dirname, '../../../.data/starship-alone'));
  return {
    nginxBin: raw.NGINX_BIN,
    prefixDir,
    render: {
      mode: 'container',
      listenPort: raw.PORT,
      listenHost: raw.HOST,
      orchestratorUpstream: raw.ORCHESTRATOR_UPSTREAM,
      prefixDir,
      assetsDir: resolve(raw.STARSHIP_ASSETS_DIR ?? DEFAULT_ASSETS_DIR),
      accessLog: raw.STARSHIP_ACCESS_LOG ?? join(prefixDir, 'logs', 'access.log'),
      errorLog: 'stderr',
      ...limitsOf(raw),
      ...(runsAsRoot ? { workerUser: 'root' } : {}),
    },
  };
}
