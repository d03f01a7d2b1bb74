import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startNginx, waitForHttp, type NginxServer } from '@webchat/local-infra';
import { writeDemoSite } from '@webchat/starship/src/demo';
import { DEFAULT_ASSETS_DIR, prepareStarshipPrefix, renderStarshipConfig } from '@webchat/starship/src/render';
import { stop as stopEsbuild } from 'esbuild';
import { buildWidget } from '@webchat/widget/build';
import type { RunnerConfig } from './config';
import type { DemoAccount } from './database';

export const starshipUrl = (config: RunnerConfig) => `http://localhost:${config.ports.starship}`;
export const demoOrigin = (config: RunnerConfig, port = config.ports.demo) => `http://localhost:${port}`;

export interface RunningStarship {
  nginx: NginxServer;
  accessLog: string;
  errorLog: string;
}

/**
 * STARSHIP_ASSETS_DIR, else the widget, built now (esbuild, well under a second) so the demo page
 * always embeds the current source.
 */
async function assetsDir(config: RunnerConfig, env: NodeJS.ProcessEnv): Promise<string> {
  if (env.STARSHIP_ASSETS_DIR) return env.STARSHIP_ASSETS_DIR;
  const widgetBuild = join(config.repo, 'services', 'widget', 'dist');
  await buildWidget({ outDir: widgetBuild });
  // esbuild keeps a service process for later builds; the runner builds once, and must own no stray child.
  stopEsbuild();
  return existsSync(join(widgetBuild, 'webchat.js')) ? widgetBuild : DEFAULT_ASSETS_DIR;
}

/** Renders the local Starship config and demo page into `<data>/starship` and starts nginx from there. */
export async function startStarship(config: RunnerConfig, demo: DemoAccount, env: NodeJS.ProcessEnv = process.env): Promise<RunningStarship> {
  const prefixDir = join(config.dataDir, 'starship');
  const accessLog = join(config.dataDir, 'logs', 'starship.access.log');
  const errorLog = join(config.dataDir, 'logs', 'starship.error.log');
  prepareStarshipPrefix(prefixDir);
  writeDemoSite(join(prefixDir, 'demo'), { deploymentKey: demo.deploymentKey, baseUrl: starshipUrl(config), allowedOrigins: demo.allowedOrigins });
  const configText = renderStarshipConfig({
    mode: 'local',
    listenPort: config.ports.starship,
    orchestratorUpstream: `127.0.0.1:${config.ports.orchestrator}`,
    prefixDir,
    assetsDir: await assetsDir(config, env),
    demoPorts: [config.ports.demo, config.ports.demoAlt],
    demoDir: join(prefixDir, 'demo'),
    accessLog,
    errorLog,
    ...config.starshipLimits,
    // Started by root, workers would run as nobody, who may not reach a checkout under /root.
    ...(process.getuid?.() === 0 ? { workerUser: 'root' } : {}),
  });
  const nginx = await startNginx({ prefixDir, configText, port: config.ports.starship });
  try {
    await waitForHttp(`http://127.0.0.1:${config.ports.starship}/healthz`, { timeoutMs: 5000 });
    for (const port of [config.ports.demo, config.ports.demoAlt]) await waitForHttp(`http://127.0.0.1:${port}/`, { timeoutMs: 5000 });
  } catch (error) {
    await nginx.stop();
    throw error;
  }
  return { nginx, accessLog, errorLog };
}

/** What the demo page sends: a browser's headers plus the widget's three security signals. */
export function demoClientHeaders(origin: string): Record<string, string> {
  return {
    origin,
    'content-type': 'application/json',
    'user-agent': 'webchat-local-runner (self-check)',
    'accept-language': 'en',
    'x-webchat-sec-usersettings': JSON.stringify({ language: 'en', cookieEnabled: true, timezoneOffset: 0 }),
    'x-webchat-sec-decoders': JSON.stringify({ h264: 'probably' }),
    'x-webchat-sec-webchatinfo': JSON.stringify({ loginTimestamp: Date.now() }),
  };
}

/** The whole path once, as the demo page will take it: Starship → orchestrator → federated-auth → scoped-auth. */
export async function mintThroughStarship(config: RunnerConfig, deploymentKey: string): Promise<{ ms: number; requestId: string }> {
  const started = Date.now();
  const response = await fetch(`http://127.0.0.1:${config.ports.starship}/v2/Webchat/Token`, {
    method: 'POST',
    headers: demoClientHeaders(demoOrigin(config)),
    body: JSON.stringify({ deploymentKey }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  const requestId = response.headers.get('x-request-id') ?? '?';
  if (response.status !== 200) throw new Error(`self-check: minting a token through Starship gave HTTP ${response.status} (request ${requestId}): ${text}`);
  return { ms: Date.now() - started, requestId };
}
