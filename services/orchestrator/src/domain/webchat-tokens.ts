import { TTL_MIN, type TokenResponse } from '@webchat/contracts';
import { AppError } from '@webchat/errors';
import type { TokenServices } from '../data-access/token-services';
import type { AccountView } from './accounts';
import type { FeatureFlags } from './feature-flags';
import type { FingerprintGenerator, FingerprintSignals } from './fingerprint';

export interface WebchatTokenDeps {
  tokens: TokenServices;
  flags: FeatureFlags;
  fingerprints: FingerprintGenerator;
  sessionMaxAgeSeconds: number;
  now?: () => number;
  onMinted?: (fingerprintBound: boolean) => void;
}

const nowSeconds = (deps: WebchatTokenDeps) => (deps.now ? deps.now() : Math.floor(Date.now() / 1000));

/** The diagram's two branches: flag off, an unbound token; flag on, a token bound to this client's fingerprint. */
async function fingerprintFor(deps: WebchatTokenDeps, account: AccountView, signals: FingerprintSignals): Promise<string | undefined> {
  if (account.fingerprintSensitivity === 'off') return undefined;
  if (!(await deps.flags.isWebchatSecurityOn(account.accountSid))) return undefined;
  return deps.fingerprints.generate(account.fingerprintSensitivity, signals);
}

async function mint(
  deps: WebchatTokenDeps,
  account: AccountView,
  signals: FingerprintSignals,
  extra: { identity?: string | undefined; sessionStartedAt?: number; ttl: number },
): Promise<TokenResponse> {
  const fingerprint = await fingerprintFor(deps, account, signals);
  const result = await deps.tokens.createToken(account.accountSid, {
    ttl: extra.ttl,
    ...(account.addressSid ? { addressSid: account.addressSid } : {}),
    ...(extra.identity ? { identity: extra.identity } : {}),
    ...(extra.sessionStartedAt !== undefined ? { sessionStartedAt: extra.sessionStartedAt } : {}),
    ...(fingerprint ? { fingerprint } : {}),
  });
  deps.onMinted?.(fingerprint !== undefined);
  return result;
}

export function mintGuestToken(deps: WebchatTokenDeps, account: AccountView, signals: FingerprintSignals, identity?: string): Promise<TokenResponse> {
  return mint(deps, account, signals, { identity, ttl: Math.min(account.tokenTtlSeconds, deps.sessionMaxAgeSeconds) });
}

/**
 * A new token for the same guest: the old one must validate with this request's fingerprint, belong to
 * the deployment key's account, and the session must be younger than the absolute cap. The new token
 * never outlives the cap.
 */
export async function refreshGuestToken(deps: WebchatTokenDeps, account: AccountView, token: string, signals: FingerprintSignals): Promise<TokenResponse> {
  const candidates = deps.fingerprints.candidates(signals);
  const claims = await deps.tokens.validateToken({ token, ...(candidates.length > 0 ? { fingerprintCandidates: candidates } : {}) });
  if (claims.accountSid !== account.accountSid) {
    throw new AppError('account_mismatch', 'The token was not issued for this deployment key');
  }
  const remaining = claims.sessionStartedAt + deps.sessionMaxAgeSeconds - nowSeconds(deps);
  if (remaining < TTL_MIN) {
    throw new AppError('session_expired', 'The session has reached its maximum age; start a new one');
  }
  return mint(deps, account, signals, {
    identity: claims.identity,
    sessionStartedAt: claims.sessionStartedAt,
    ttl: Math.min(account.tokenTtlSeconds, remaining),
  });
}
