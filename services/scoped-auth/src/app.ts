import { buildOpenApi, operationalRoutes, scopedAuthRoutes } from '@webchat/contracts';
import { createMetrics, createServiceApp, type ServiceApp } from '@webchat/http-kit';
import type { Logger } from '@webchat/logger';
import type { ServiceTokenVerifier } from '@webchat/service-auth';
import type { TokenKeys } from './domain/keys';
import { TokenService, type TokenSettings } from './domain/token-service';
import { tokenRoutes } from './routes/tokens';

export const SERVICE_NAME = 'scoped-auth';
/** Internal JSON only; a little above the 8 KB grants cap plus the rest of the body. */
export const BODY_LIMIT = '32kb';

export interface ScopedAuthDeps {
  config: { token: TokenSettings };
  logger: Logger;
  keys: TokenKeys;
  verifier: ServiceTokenVerifier;
  /** Epoch seconds. */
  now?: () => number;
}

export function createApp({ config, logger, keys, verifier, now }: ScopedAuthDeps): ServiceApp {
  const metrics = createMetrics(SERVICE_NAME);
  const counters = {
    minted: metrics.counter('tokens_minted_total', 'Guest tokens minted', ['encrypted', 'fingerprint_bound'] as const),
    validations: metrics.counter('token_validations_total', 'Token validations by result (valid or the refusal code)', ['result'] as const),
  };
  const tokens = new TokenService(keys, config.token, now);
  const openapi = buildOpenApi(
    { title: 'scoped-auth', version: '1.0.0', description: 'Mints and validates scoped webchat guest tokens (internal).' },
    [...operationalRoutes, ...scopedAuthRoutes],
  );
  return createServiceApp({ service: SERVICE_NAME, logger, body: { limit: BODY_LIMIT }, metrics, openapi }, (app) => {
    app.use(tokenRoutes({ tokens, verifier, logger, counters }));
  });
}
