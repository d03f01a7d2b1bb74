import { federatedAuthRoutes } from '@webchat/contracts';
import { createServiceApp, type ContractViolations, type ServiceApp } from '@webchat/http-kit';
import type { InternalClient } from '@webchat/internal-client';
import type { Logger } from '@webchat/logger';
import type { ServiceTokenVerifier } from '@webchat/service-auth';
import { TokenIssuer } from './domain/token-issuer';
import { mountTokenRoutes } from './routes/tokens';

export const SERVICE_NAME = 'federated-auth';
/** Internal JSON only; the body is a handful of short fields. */
export const BODY_LIMIT = '32kb';

export interface FederatedAuthDeps {
  config: { defaultTokenTtlSeconds: number; contractViolations?: ContractViolations };
  logger: Logger;
  verifier: ServiceTokenVerifier;
  /** Client of scoped-auth (audience `scoped-auth`), signing as federated-auth. */
  scopedAuth: InternalClient;
  /** Epoch seconds. */
  now?: () => number;
}

export function createApp({ config, logger, verifier, scopedAuth, now }: FederatedAuthDeps): ServiceApp {
  const issuer = new TokenIssuer(scopedAuth, config.defaultTokenTtlSeconds, now);
  const api = {
    info: { title: 'federated-auth', version: '1.0.0', description: "Composes a webchat guest's grants and has scoped-auth mint the token (internal)." },
    routes: federatedAuthRoutes,
  };
  return createServiceApp(
    { service: SERVICE_NAME, logger, body: { limit: BODY_LIMIT }, api, verifier, ...(config.contractViolations ? { contractViolations: config.contractViolations } : {}) },
    (_app, routes) => mountTokenRoutes(routes, { issuer, logger }),
  );
}
