import { Router } from 'express';
import {
  GenerateScopedTokenRequest,
  SCOPED_AUTH_GENERATE_PATH,
  SCOPED_AUTH_VALIDATE_PATH,
  ValidateScopedTokenRequest,
  type GenerateScopedTokenResponse,
  type ValidateScopedTokenResponse,
} from '@webchat/contracts';
import { parseWith } from '@webchat/http-kit';
import type { Logger } from '@webchat/logger';
import { requireCaller, type ServiceTokenVerifier } from '@webchat/service-auth';
import type { TokenService } from '../domain/token-service';
import { TokenRejected } from '../domain/jose-headers';

/** Who may call what (DESIGN.md, "Service-to-service calls"). */
export const GENERATE_CALLERS = ['federated-auth'] as const;
export const VALIDATE_CALLERS = ['orchestrator'] as const;

/** The slice of a prom-client counter the routes use (prom-client itself belongs to http-kit). */
export interface LabelledCounter<L extends string> {
  inc(labels: Record<L, string>): void;
}

export interface TokenRouteDeps {
  tokens: TokenService;
  verifier: ServiceTokenVerifier;
  logger: Logger;
  counters: {
    minted: LabelledCounter<'encrypted' | 'fingerprint_bound'>;
    validations: LabelledCounter<'result'>;
  };
}

export function tokenRoutes({ tokens, verifier, logger, counters }: TokenRouteDeps): Router {
  const router = Router({ strict: true, caseSensitive: true });

  router.post(SCOPED_AUTH_GENERATE_PATH, requireCaller(verifier, GENERATE_CALLERS), async (req, res) => {
    const body = parseWith(GenerateScopedTokenRequest, req.body);
    const minted = await tokens.mint(body);
    counters.minted.inc({ encrypted: String(minted.encrypted), fingerprint_bound: String(minted.fingerprintBound) });
    logger.info('token minted', {
      caller: res.locals.caller,
      accountSid: body.accountSid,
      identity: minted.identity,
      jti: minted.jti,
      kids: tokens.activeKids,
      encrypted: minted.encrypted,
      fingerprintBound: minted.fingerprintBound,
      expiresAt: minted.expiresAt,
    });
    const response: GenerateScopedTokenResponse = { token: minted.token, identity: minted.identity, expiresAt: minted.expiresAt };
    res.set('Cache-Control', 'no-store').json(response);
  });

  router.post(SCOPED_AUTH_VALIDATE_PATH, requireCaller(verifier, VALIDATE_CALLERS), async (req, res) => {
    const body = parseWith(ValidateScopedTokenRequest, req.body);
    let validated;
    try {
      const fingerprints = [...(body.fingerprint !== undefined ? [body.fingerprint] : []), ...(body.fingerprintCandidates ?? [])];
      validated = await tokens.validate(body.token, {
        fingerprints,
        ...(body.expiredGraceSeconds !== undefined ? { expiredGraceSeconds: body.expiredGraceSeconds } : {}),
      });
    } catch (err) {
      if (err instanceof TokenRejected) {
        counters.validations.inc({ result: err.code });
        logger.info('token refused', { code: err.code, reason: err.reason });
      }
      throw err;
    }
    counters.validations.inc({ result: 'valid' });
    const { jti, encrypted, ...response } = validated;
    logger.info('token validated', { accountSid: response.accountSid, identity: response.identity, jti, encrypted, fingerprintBound: response.fingerprintBound });
    res.set('Cache-Control', 'no-store').json(response satisfies ValidateScopedTokenResponse);
  });

  return router;
}
