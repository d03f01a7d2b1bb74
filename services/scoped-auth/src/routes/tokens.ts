import { generateScopedTokenRoute, validateScopedTokenRoute, type ValidateScopedTokenResponse } from '@webchat/contracts';
import type { RouteMounter } from '@webchat/http-kit';
import type { Logger } from '@webchat/logger';
import type { TokenService } from '../domain/token-service';
import { TokenRejected } from '../domain/jose-headers';

export interface TokenRouteDeps {
  tokens: TokenService;
  logger: Logger;
}

export function mountTokenRoutes(routes: RouteMounter<never>, { tokens, logger }: TokenRouteDeps): void {
  routes.mount(generateScopedTokenRoute, async ({ body, caller, count }) => {
    const minted = await tokens.mint(body);
    count.minted.inc({ encrypted: String(minted.encrypted), fingerprint_bound: String(minted.fingerprintBound) });
    logger.info('token minted', {
      caller,
      accountSid: body.accountSid,
      identity: minted.identity,
      jti: minted.jti,
      kids: tokens.activeKids,
      encrypted: minted.encrypted,
      fingerprintBound: minted.fingerprintBound,
      expiresAt: minted.expiresAt,
    });
    return { token: minted.token, identity: minted.identity, expiresAt: minted.expiresAt };
  });

  routes.mount(validateScopedTokenRoute, async ({ body, count }) => {
    let validated;
    try {
      const fingerprints = [...(body.fingerprint !== undefined ? [body.fingerprint] : []), ...(body.fingerprintCandidates ?? [])];
      validated = await tokens.validate(body.token, {
        fingerprints,
        ...(body.expiredGraceSeconds !== undefined ? { expiredGraceSeconds: body.expiredGraceSeconds } : {}),
      });
    } catch (err) {
      if (err instanceof TokenRejected) {
        count.validations.inc({ result: err.code });
        logger.info('token refused', { code: err.code, reason: err.reason });
      }
      throw err;
    }
    count.validations.inc({ result: 'valid' });
    const { jti, encrypted, ...response } = validated;
    logger.info('token validated', { accountSid: response.accountSid, identity: response.identity, jti, encrypted, fingerprintBound: response.fingerprintBound });
    return response satisfies ValidateScopedTokenResponse;
  });
}
