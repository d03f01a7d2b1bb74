import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort, startNginx, type NginxServer } from '@webchat/testkit';
import { writeDemoSite } from '@webchat/starship/src/demo';
import { DEFAULT_ASSETS_DIR, prepareStarshipPrefix, renderStarshipConfig, type StarshipRenderOptions } from '@webchat/starship/src/render';

export interface EdgeUnderTest {
  port: number;
  demoPorts: number[];
  prefixDir: string;
  nginx: NginxServer;
  /** The access log, one parsed JSON object per request. */
  accessLog(): Array<Record<string, unknown>>;
  accessLogText(): string;
  stop(): Promise<void>;
}

export type EdgeOptions = Partial<Omit<StarshipRenderOptions, 'mode' | 'listenPort' | 'prefixDir'>> & {
  orchestratorUpstream: string;
  /** What the demo page is rendered with; a placeholder key by default. */
  demoKey?: string;
};

/** Real nginx with the local Starship config on free ports, its prefix in a temp folder. */
export async function startEdge(options: EdgeOptions): Promise<EdgeUnderTest> {
  const prefixDir = mkdtempSync(join(tmpdir(), 'starship-test-'));
  const port = await getFreePort();
  const { demoKey, ...renderOptions } = options;
  const demoPorts = options.demoPorts ?? [await getFreePort(), await getFreePort()];
  prepareStarshipPrefix(prefixDir);
  writeDemoSite(join(prefixDir, 'demo'), {
    deploymentKey: demoKey ?? 'dk_test_0123456789abcdef',
    baseUrl: `http://localhost:${port}`,
    allowedOrigins: [`http://localhost:${demoPorts[0]}`],
  });
  const configText = renderStarshipConfig({
    assetsDir: DEFAULT_ASSETS_DIR,
    ...renderOptions,
    mode: 'local',
    // Our temp folders are 0700: workers must run as us to read the assets and the demo page.
    ...(process.getuid?.() === 0 ? { workerUser: 'root' } : {}),
    listenPort: port,
    prefixDir,
    demoPorts,
  });
  let nginx: NginxServer;
  try {
    nginx = await startNginx({ prefixDir, configText, port });
  } catch (error) {
    rmSync(prefixDir, { recursive: true, force: true });
    throw error;
  }
  const accessLogText = () => {
    try {
      return readFileSync(join(prefixDir, 'logs', 'access.log'), 'utf8');
    } catch {
      return '';
    }
  };
  return {
    port,
    demoPorts,
    prefixDir,
    nginx,
    accessLogText,
    accessLog: () =>
      accessLogText()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    async stop() {
      await nginx.stop();
      rmSync(prefixDir, { recursive: true, force: true });
    },
  };
}

/** Polls the access log: nginx writes the line after the response has been sent. */
export async function waitForLogLine(edge: EdgeUnderTest, requestId: string, timeoutMs = 3000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = edge.accessLog().find((entry) => entry.requestId === requestId);
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`no access log line for request ${requestId}:\n${edge.accessLogText()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
