import { createAccountTokenRoute, type CreateFederatedTokenResponse } from '@webchat/contracts';
import { isAppError } from '@webchat/errors';
import type { RouteMounter } from '@webchat/http-kit';
import type { Logger } from '@webchat/logger';
import type { TokenIssuer } from '../domain/token-issuer';

export interface TokenRouteDeps {
  issuer: TokenIssuer;
  logger: Logger;
}

export function mountTokenRoutes(routes: RouteMounter<never>, { issuer, logger }: TokenRouteDeps): void {
  routes.mount(
    createAccountTokenRoute,
    async ({ params: { accountSid }, body, count }) => {
      const fingerprintBound = String(body.fingerprint !== undefined);
      let token: CreateFederatedTokenResponse;
      try {
        token = await issuer.issue({ accountSid, ...body });
      } catch (err) {
        count.issued.inc({ result: isAppError(err) ? err.code : 'internal_error', fingerprint_bound: fingerprintBound });
        throw err;
      }
      count.issued.inc({ result: 'issued', fingerprint_bound: fingerprintBound });
      logger.info('token issued', { accountSid, addressSid: body.addressSid, identity: token.identity, fingerprintBound: body.fingerprint !== undefined, expiresAt: token.expiresAt });
      return token;
    },
    // Every field is optional, so the flag-off call may come without a body at all.
    { body: (req) => req.body ?? {} },
  );
}
