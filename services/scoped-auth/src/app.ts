import { scopedAuthRoutes } from '@webchat/contracts';
import { createServiceApp, type ContractViolations, type ServiceApp } from '@webchat/http-kit';
import type { Logger } from '@webchat/logger';
import type { ServiceTokenVerifier } from '@webchat/service-auth';
import type { TokenKeys } from './domain/keys';
import { TokenService, type TokenSettings } from './domain/token-service';
import { mountTokenRoutes } from './routes/tokens';

export const SERVICE_NAME = 'scoped-auth';
/** Internal JSON only; a little above the 8 KB grants cap plus the rest of the body. */
export const BODY_LIMIT = '32kb';

export interface ScopedAuthDeps {
  config: { token: TokenSettings; contractViolations?: ContractViolations };
  logger: Logger;
  keys: TokenKeys;
  verifier: ServiceTokenVerifier;
  /** Epoch seconds. */
  now?: () => number;
}

export function createApp({ config, logger, keys, verifier, now }: ScopedAuthDeps): ServiceApp {
  const tokens = new TokenService(keys, config.token, now);
  const api = {
    info: { title: 'scoped-auth', version: '1.0.0', description: 'Mints and validates scoped webchat guest tokens (internal).' },
    routes: scopedAuthRoutes,
  };
  return createServiceApp(
    { service: SERVICE_NAME, logger, body: { limit: BODY_LIMIT }, api, verifier, ...(config.contractViolations ? { contractViolations: config.contractViolations } : {}) },
    (_app, routes) => mountTokenRoutes(routes, { tokens, logger }),
  );
}
