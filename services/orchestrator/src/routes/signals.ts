import type { Request } from 'express';
import { FINGERPRINT_HEADERS } from '@webchat/contracts';
import type { FingerprintSignals } from '../domain/fingerprint';

/** The client IP is Express's `req.ip`, which honours exactly the configured proxy hops (Starship). */
export const signalsOf = (req: Request): FingerprintSignals => ({
  userAgent: req.get('user-agent'),
  acceptLanguage: req.get('accept-language'),
  clientIp: req.ip,
  userSettings: req.get(FINGERPRINT_HEADERS.userSettings),
  decoders: req.get(FINGERPRINT_HEADERS.decoders),
  webchatInfo: req.get(FINGERPRINT_HEADERS.webchatInfo),
});
