import type { ServiceApp } from '@webchat/http-kit';
import { InternalClient } from '@webchat/internal-client';
import { createLogger, type Logger } from '@webchat/logger';
import { ServiceTokenSigner, ServiceTokenVerifier } from '@webchat/service-auth';
import { SERVICE_NAME, createApp } from './app';
import type { FederatedAuthConfig } from './config';

/** What a test may replace; everything else is wired exactly as in production. */
export interface FederatedAuthOverrides {
  logger?: Logger;
  /** Epoch seconds. */
  now?: () => number;
}

export interface FederatedAuth extends ServiceApp {
  logger: Logger;
  /** Its signer towards scoped-auth (the cached token is what goes over the wire). */
  signer: ServiceTokenSigner;
  close(): Promise<void>;
}

/** The one composition root: start.ts and the test harness both build federated-auth here. */
export function buildFederatedAuth(config: FederatedAuthConfig, overrides: FederatedAuthOverrides = {}): FederatedAuth {
  const logger = overrides.logger ?? createLogger({ service: SERVICE_NAME, level: config.logLevel, identityKey: config.logIdentityKey });
  const verifier = new ServiceTokenVerifier({ audience: SERVICE_NAME, publicKeys: config.serviceAuth.publicKeys });
  const signer = new ServiceTokenSigner({ issuer: SERVICE_NAME, privateKey: config.serviceAuth.privateKey });
  const scopedAuth = new InternalClient({ service: 'scoped-auth', baseUrl: config.scopedAuth.url, signer, timeoutMs: config.scopedAuth.timeoutMs });
  const service = createApp({ config, logger, verifier, scopedAuth, ...(overrides.now ? { now: overrides.now } : {}) });
  return { ...service, logger, signer, close: async () => scopedAuth.close() };
}
