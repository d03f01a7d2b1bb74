import { Router } from 'express';
import {
  CreateFederatedTokenRequest,
  FEDERATED_TOKENS_ROUTE,
  FederatedTokensParams,
  type CreateFederatedTokenResponse,
} from '@webchat/contracts';
import { isAppError, parseWith } from '@webchat/http-kit';
import type { Logger } from '@webchat/logger';
import { requireCaller, type ServiceTokenVerifier } from '@webchat/service-auth';
import type { TokenIssuer } from '../domain/token-issuer';

export const TOKEN_CALLERS = ['orchestrator'] as const;

/** The slice of a prom-client counter the routes use (prom-client itself belongs to http-kit). */
export interface LabelledCounter<L extends string> {
  inc(labels: Record<L, string>): void;
}

export interface TokenRouteDeps {
  issuer: TokenIssuer;
  verifier: ServiceTokenVerifier;
  logger: Logger;
  issued: LabelledCounter<'result' | 'fingerprint_bound'>;
}

export function tokenRoutes({ issuer, verifier, logger, issued }: TokenRouteDeps): Router {
  const router = Router({ strict: true, caseSensitive: true });

  router.post(FEDERATED_TOKENS_ROUTE, requireCaller(verifier, TOKEN_CALLERS), async (req, res) => {
    const { accountSid } = parseWith(FederatedTokensParams, req.params, 'path');
    // Every field is optional, so the flag-off call may come without a body at all.
    const body = parseWith(CreateFederatedTokenRequest, req.body ?? {});
    const fingerprintBound = String(body.fingerprint !== undefined);
    let token: CreateFederatedTokenResponse;
    try {
      token = await issuer.issue({ accountSid, ...body });
    } catch (err) {
      issued.inc({ result: isAppError(err) ? err.code : 'internal_error', fingerprint_bound: fingerprintBound });
      throw err;
    }
    issued.inc({ result: 'issued', fingerprint_bound: fingerprintBound });
    logger.info('token issued', { accountSid, addressSid: body.addressSid, identity: token.identity, fingerprintBound: body.fingerprint !== undefined, expiresAt: token.expiresAt });
    res.set('Cache-Control', 'no-store').json(token);
  });

  return router;
}
