import type { ServiceApp } from '@webchat/http-kit';
import { createLogger, type Logger } from '@webchat/logger';
import { ServiceTokenVerifier } from '@webchat/service-auth';
import { SERVICE_NAME, createApp } from './app';
import type { ScopedAuthConfig } from './config';
import { createTokenKeys, type TokenKeys } from './domain/keys';

/** What a test may replace; everything else is wired exactly as in production. */
export interface ScopedAuthOverrides {
  logger?: Logger;
  /** Epoch seconds: tokens validated "later" without waiting. */
  now?: () => number;
}

export interface ScopedAuth extends ServiceApp {
  logger: Logger;
  keys: TokenKeys;
}

/** The one composition root: start.ts and the test harness both build scoped-auth here. */
export async function buildScopedAuth(config: ScopedAuthConfig, overrides: ScopedAuthOverrides = {}): Promise<ScopedAuth> {
  const logger = overrides.logger ?? createLogger({ service: SERVICE_NAME, level: config.logLevel, identityKey: config.logIdentityKey });
  const keys = await createTokenKeys(config.keys);
  const verifier = new ServiceTokenVerifier({ audience: SERVICE_NAME, publicKeys: config.serviceAuth.publicKeys });
  const service = createApp({ config, logger, keys, verifier, ...(overrides.now ? { now: overrides.now } : {}) });
  return { ...service, logger, keys };
}
