import type { RequestHandler } from 'express';
import { AppError } from '@webchat/errors';

/** The callee side of service auth (@webchat/service-auth's ServiceTokenVerifier): a verified token names its issuer. */
export interface CallerVerifier {
  verify(token: string): { iss: string };
}

/** Missing or bad token: 401. A genuine service that is not on this route's list: 403. */
export function requireCaller(verifier: CallerVerifier, allowedCallers: readonly string[]): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization');
    const match = header ? /^Bearer ([A-Za-z0-9._-]+)$/i.exec(header) : null;
    if (!match?.[1]) return next(new AppError('service_token_invalid', 'A service token is required'));
    try {
      const claims = verifier.verify(match[1]);
      if (!allowedCallers.includes(claims.iss)) {
        return next(new AppError('caller_not_allowed', `${claims.iss} may not call this endpoint`));
      }
      res.locals.caller = claims.iss;
      next();
    } catch (err) {
      next(err);
    }
  };
}
