import { InternalClient } from '@webchat/internal-client';
import { createApp as createFederatedApp } from '@webchat/federated-auth/src/app';
import { createApp as createScopedApp } from '@webchat/scoped-auth/src/app';
import { createTokenKeys } from '@webchat/scoped-auth/src/domain/keys';
import type { TokenKeyMaterial } from '@webchat/scoped-auth/src/domain/key-material';
import { TEST_TOKEN_SETTINGS } from '@webchat/test-harness';
import { captureLogs, type SystemUnderTest } from '@webchat/test-harness';
import { SwitchableHost } from './host';

/** Minted tokens as scoped-auth logs them (one "token minted" line each), over every instance so far. */
export const mintedCount = (lines: string[]) => lines.filter((line) => line.includes('"message":"token minted"')).length;

export interface HostedScopedAuth {
  host: SwitchableHost;
  /** Swaps the key set used from the next (re)start on, as a redeploy with rotated Secrets would. */
  setMaterial(material: TokenKeyMaterial): void;
  /** Lines of the instances served here (the system's own instance logs to system.logs.scopedAuth). */
  logs(): string[];
}

/**
 * Takes scoped-auth over from the test system: the system's own instance is closed and a real
 * scoped-auth app with the same keys and callers is served on the same port, where a test can stop,
 * slow down and restart it. The orchestrator and federated-auth keep calling the same URL.
 */
export async function hostScopedAuth(system: SystemUnderTest): Promise<HostedScopedAuth> {
  const port = Number(new URL(system.scopedAuth.url).port);
  const { logger, lines } = captureLogs('scoped-auth');
  let material = system.scopedAuth.material;
  const host = new SwitchableHost('scoped-auth', port, async () => {
    const { app } = createScopedApp({
      config: { token: TEST_TOKEN_SETTINGS },
      logger,
      keys: await createTokenKeys(material),
      verifier: system.identities.verifier('scoped-auth'),
    });
    return app;
  });
  await system.scopedAuth.close();
  await host.start();
  return {
    host,
    setMaterial: (next) => {
      material = next;
    },
    logs: lines,
  };
}

export interface HostedFederatedAuth {
  host: SwitchableHost;
  logs(): string[];
  close(): Promise<void>;
}

/** A real federated-auth on `port` (given to startSystem as federatedAuthUrl), calling the system's scoped-auth. */
export async function hostFederatedAuth(system: SystemUnderTest, port: number, timeoutMs = 2000): Promise<HostedFederatedAuth> {
  const { logger, lines } = captureLogs('federated-auth');
  const clients: InternalClient[] = [];
  const host = new SwitchableHost('federated-auth', port, () => {
    const scopedAuth = new InternalClient({ service: 'scoped-auth', baseUrl: system.scopedAuth.url, signer: system.identities.signer('federated-auth'), timeoutMs });
    clients.push(scopedAuth);
    const { app } = createFederatedApp({ config: { defaultTokenTtlSeconds: 3600 }, logger, verifier: system.identities.verifier('federated-auth'), scopedAuth });
    return app;
  });
  await host.start();
  return {
    host,
    logs: lines,
    async close() {
      await host.stop();
      for (const client of clients) client.close();
    },
  };
}
