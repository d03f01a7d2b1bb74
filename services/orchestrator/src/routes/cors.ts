import type { RequestHandler, Response } from 'express';
import cors from 'cors';
import { FINGERPRINT_HEADERS } from '@webchat/contracts';
import { AppError } from '@webchat/errors';
import { decideCors } from '../domain/cors';
import type { OriginRefusals } from '../domain/origin-refusals';

/** Only a well-formed origin is ever echoed into a header. */
const ORIGIN_SHAPE = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/;

// last-event-id: the widget resumes its live stream with it (fetch streaming, so a header, not EventSource's own).
const ALLOWED_HEADERS = ['content-type', 'authorization', 'x-request-id', 'last-event-id', ...Object.values(FINGERPRINT_HEADERS)];

/**
 * For the public routes: every response (errors included) carries ACAO, `Vary: Origin` and
 * `Cache-Control: no-store`. Until the account is known the request's origin is reflected, so the
 * widget can read a refusal such as a bad deployment key; the account's rule replaces it once known.
 * Preflights cannot know the account (no body), so the `cors` package answers them here, 204.
 */
export function publicCors(maxAgeSeconds: number): RequestHandler {
  const handle = cors({
    origin: (origin, callback) => callback(null, origin && ORIGIN_SHAPE.test(origin) ? origin : '*'),
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ALLOWED_HEADERS,
    // Retry-After is not CORS-safelisted: without this the widget could not tell a guest how long to wait.
    exposedHeaders: ['X-Request-Id', 'Retry-After'],
    maxAge: maxAgeSeconds,
    optionsSuccessStatus: 204,
    preflightContinue: false,
  });
  return (req, res, next) => {
    if (!req.path.startsWith('/v2/')) return next();
    res.setHeader('Cache-Control', 'no-store');
    res.vary('Origin');
    handle(req, res, next);
  };
}

/**
 * Applies the account's allowed origins; a refused origin stops the request before any downstream call
 * and is counted for the operator (`webchat-admin origins refused SID`).
 */
export function enforceAccountCors(
  res: Response,
  account: { accountSid: string; allowedOrigins: readonly string[] },
  origin: string | undefined,
  refusals?: OriginRefusals,
): void {
  const decision = decideCors(account.allowedOrigins, origin);
  res.setHeader('Access-Control-Allow-Origin', decision.allowOrigin);
  if (decision.originMissing) {
    throw new AppError(
      'origin_required',
      'This account accepts only its allowed websites, and the request has no Origin header: send the Origin of the page the widget runs on',
    );
  }
  if (!decision.allowed) {
    refusals?.refused(account.accountSid, origin);
    throw new AppError('origin_not_allowed', 'This website is not allowed to start a webchat for this account');
  }
}
