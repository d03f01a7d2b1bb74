import { TTL_MIN, type VerifiedGuest, type WebchatTokenResponse } from '@webchat/contracts';
import { AppError } from '@webchat/errors';
import type { TokenServices } from './token-services';
import type { AccountView } from './accounts';
import type { FeatureFlags } from './feature-flags';
import type { FingerprintGenerator, FingerprintSignals } from './fingerprint';
import { checkGuestToken, requireActiveMintingKey, type GuestTokenCheckDeps } from './guest-tokens';
import { verifyIdentityToken, type IdentitySecretLookup } from './identity-token';

export interface WebchatTokenDeps extends GuestTokenCheckDeps {
  tokens: TokenServices;
  flags: FeatureFlags;
  fingerprints: FingerprintGenerator;
  sessionMaxAgeSeconds: number;
  identitySecrets: IdentitySecretLookup;
  now?: () => number;
  onMinted?: (fingerprintBound: boolean) => void;
}

/** How a guest proves who it is when asking for a token; without a proof it gets a new identity. */
export type IdentityProof = { previousToken: string } | { identityToken: string } | undefined;

const nowSeconds = (deps: Pick<WebchatTokenDeps, 'now'>) => (deps.now ? deps.now() : Math.floor(Date.now() / 1000));

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
  extra: { identity?: string | undefined; sessionStartedAt?: number; ttl: number; verifiedGuest?: VerifiedGuest | undefined },
): Promise<WebchatTokenResponse> {
  const fingerprint = await fingerprintFor(deps, account, signals);
  const result = await deps.tokens.createToken(account.accountSid, {
    ttl: extra.ttl,
    deploymentKeyId: account.keyId,
    ...(account.addressSid ? { addressSid: account.addressSid } : {}),
    ...(extra.identity ? { identity: extra.identity } : {}),
    ...(extra.sessionStartedAt !== undefined ? { sessionStartedAt: extra.sessionStartedAt } : {}),
    ...(extra.verifiedGuest ? { verifiedGuest: extra.verifiedGuest } : {}),
    ...(fingerprint ? { fingerprint } : {}),
  });
  deps.onMinted?.(fingerprint !== undefined);
  return { ...result, ...(extra.verifiedGuest ? { verifiedGuest: extra.verifiedGuest } : {}) };
}

/**
 * The identity a proof establishes. A previous token is validated in full except `exp` (within the
 * grace), must be this account's, minted by a still-active key and, where it was bound, presented by the
 * same client. An identity token must verify under the account's identity secret.
 */
async function provenIdentity(deps: WebchatTokenDeps, account: AccountView, signals: FingerprintSignals, proof: NonNullable<IdentityProof>) {
  if ('previousToken' in proof) {
    const claims = await checkGuestToken(deps, proof.previousToken, signals, { expiredGraceSeconds: deps.previousTokenGraceSeconds });
    if (claims.accountSid !== account.accountSid) throw new AppError('account_mismatch', 'The previous token was not issued for this deployment key');
    requireActiveMintingKey(claims, account.deploymentKeys);
    return { identity: claims.identity, verifiedGuest: claims.verifiedGuest };
  }
  const secrets = await deps.identitySecrets(account.accountSid);
  return verifyIdentityToken(proof.identityToken, account.accountSid, secrets, nowSeconds(deps));
}

/** A new session: for a new identity, or for the one the proof establishes. */
export async function mintGuestToken(deps: WebchatTokenDeps, account: AccountView, signals: FingerprintSignals, proof?: IdentityProof): Promise<WebchatTokenResponse> {
  const proven = proof ? await provenIdentity(deps, account, signals, proof) : undefined;
  return mint(deps, account, signals, {
    identity: proven?.identity,
    verifiedGuest: proven?.verifiedGuest,
    ttl: Math.min(account.tokenTtlSeconds, deps.sessionMaxAgeSeconds),
  });
}

/**
 * A new token for the same guest: the old one must validate with this request's fingerprint, belong to
 * the deployment key's account, come from a still-active key, and the session must be younger than the
 * absolute cap. The new token never outlives the cap.
 */
export async function refreshGuestToken(deps: WebchatTokenDeps, account: AccountView, token: string, signals: FingerprintSignals): Promise<WebchatTokenResponse> {
  const claims = await checkGuestToken(deps, token, signals);
  if (claims.accountSid !== account.accountSid) {
    throw new AppError('account_mismatch', 'The token was not issued for this deployment key');
  }
  requireActiveMintingKey(claims, account.deploymentKeys);
  const remaining = claims.sessionStartedAt + deps.sessionMaxAgeSeconds - nowSeconds(deps);
  if (remaining < TTL_MIN) {
    throw new AppError('session_expired', 'The session has reached its maximum age; start a new one');
  }
  return mint(deps, account, signals, {
    identity: claims.identity,
    sessionStartedAt: claims.sessionStartedAt,
    verifiedGuest: claims.verifiedGuest,
    ttl: Math.min(account.tokenTtlSeconds, remaining),
  });
}
