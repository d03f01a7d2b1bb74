/*
 * The whole left half of the diagram for the widget's browser tests: the real system (orchestrator,
 * federated-auth, scoped-auth, Postgres), the real Starship nginx serving the freshly built bundle and the
 * demo page on an allowed and a not-allowed origin, and Debian Chromium driven by playwright-core.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { REPO_ROOT, getFreePort, startNginx, type NginxServer } from '@webchat/testkit';
import { startSystem, type SystemOptions, type SystemUnderTest } from '@webchat/test-harness';
import { writeDemoSite } from '@webchat/starship/src/demo';
import { prepareStarshipPrefix, renderStarshipConfig } from '@webchat/starship/src/render';
import { buildWidget, type WidgetManifest } from '@webchat/widget/build';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const ARTIFACTS = join(REPO_ROOT, 'artifacts');

export interface BrowserStack {
  system: SystemUnderTest;
  browser: Browser;
  manifest: WidgetManifest;
  starshipUrl: string;
  allowedSite: string;
  refusedSite: string;
  account: { accountSid: string; deploymentKey: string };
  newPage(options?: BrowserContextOptions & { init?: (page: Page) => Promise<unknown> }): Promise<Page>;
  stop(): Promise<void>;
}

/** What Starship proxies to, when not the harness's orchestrator: e.g. orchestrator processes a test starts itself. */
export interface Upstreams {
  orchestratorUpstream: string;
  streamUpstream?: string;
  /** Stops them; runs before the system (and its database) is stopped. */
  stop?: () => Promise<void> | void;
}

export interface BrowserStackOptions {
  system?: SystemOptions;
  account?: (allowedSite: string) => Parameters<SystemUnderTest['createAccount']>[0];
  /** The page the allowed site serves; default the demo page (services/starship/src/demo.ts). */
  hostPage?: (starshipUrl: string, deploymentKey: string) => string;
  /** Starts what Starship proxies to, once the system and the account exist; `workDir` is removed on stop. */
  upstreams?: (system: SystemUnderTest, workDir: string) => Promise<Upstreams>;
}

export async function startBrowserStack(options: BrowserStackOptions = {}): Promise<BrowserStack> {
  // Installs Debian chromium (and the rest) when missing; silent and quick when present.
  execFileSync('bash', [join(REPO_ROOT, 'scripts/ensure-system-deps.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const workDir = mkdtempSync(join(tmpdir(), 'widget-e2e-'));
  const assetsDir = join(workDir, 'assets');
  const prefixDir = join(workDir, 'starship');
  const [manifest, system, port, allowedPort, refusedPort] = await Promise.all([
    buildWidget({ outDir: assetsDir }),
    startSystem(options.system ?? {}),
    getFreePort(),
    getFreePort(),
    getFreePort(),
  ]);
  const starshipUrl = `http://localhost:${port}`;
  const allowedSite = `http://localhost:${allowedPort}`;
  const refusedSite = `http://localhost:${refusedPort}`;
  const account = await system.createAccount(options.account?.(allowedSite) ?? { allowedOrigins: [allowedSite] });

  const upstreams: Upstreams = (await options.upstreams?.(system, workDir)) ?? { orchestratorUpstream: new URL(system.orchestratorUrl).host };

  prepareStarshipPrefix(prefixDir);
  if (options.hostPage) {
    mkdirSync(join(prefixDir, 'demo'), { recursive: true });
    writeFileSync(join(prefixDir, 'demo', 'index.html'), options.hostPage(starshipUrl, account.deploymentKey));
  } else {
    writeDemoSite(join(prefixDir, 'demo'), { deploymentKey: account.deploymentKey, baseUrl: starshipUrl, allowedOrigins: [allowedSite] });
  }
  const configText = renderStarshipConfig({
    mode: 'local',
    listenPort: port,
    prefixDir,
    assetsDir,
    orchestratorUpstream: upstreams.orchestratorUpstream,
    ...(upstreams.streamUpstream ? { streamUpstream: upstreams.streamUpstream } : {}),
    demoPorts: [allowedPort, refusedPort],
    // nginx started as root hands its workers to `nobody`, who cannot read our 0700 temp folder.
    ...(process.getuid?.() === 0 ? { workerUser: 'root' } : {}),
  });
  const [nginx, browser]: [NginxServer, Browser] = await Promise.all([
    startNginx({ prefixDir, configText, port }),
    // launch() gives every run a fresh, temporary user-data dir, removed again on close.
    chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 }),
  ]);
  mkdirSync(ARTIFACTS, { recursive: true });
  const contexts: BrowserContext[] = [];

  return {
    system,
    browser,
    manifest,
    starshipUrl,
    allowedSite,
    refusedSite,
    account,
    async newPage({ init, ...contextOptions } = {}) {
      const context = await browser.newContext({ viewport: { width: 1100, height: 760 }, ...contextOptions });
      contexts.push(context);
      const page = await context.newPage();
      await init?.(page);
      return page;
    },
    async stop() {
      await Promise.allSettled(contexts.map((context) => context.close()));
      await browser.close();
      await nginx.stop();
      await upstreams.stop?.();
      await system.stop();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
