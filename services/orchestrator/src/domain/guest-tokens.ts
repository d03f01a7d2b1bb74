import { createHash } from 'node:crypto';
import { TTL_MAX, type ValidateScopedTokenResponse } from '@webchat/contracts';
import { AppError, isAppError } from '@webchat/errors';
import type { TokenServices } from './token-services';
import type { DeploymentKeySummary } from './account-types';
import type { FingerprintGenerator, FingerprintSignals } from './fingerprint';

/**
 * Fingerprint mismatches per guest token, shared by every replica (issue 12, finding 3). Keyed by the
 * SHA-256 of the token: the table can be read without handing out a usable token.
 */
export interface TokenFailureStore {
  /** Mismatches counted so far for this token (0 when none). */
  failures(tokenHash: Buffer): Promise<number>;
  /** Counts one more mismatch and returns the new count; the row may be pruned after `forgetAfter`. */
  recordFailure(tokenHash: Buffer, forgetAfter: Date): Promise<number>;
}

/** What every use of a guest token needs: validation, the shared mismatch count and its limit. */
export interface GuestTokenCheckDeps {
  tokens: Pick<TokenServices, 'validateToken'>;
  fingerprints: Pick<FingerprintGenerator, 'candidates'>;
  tokenFailures: TokenFailureStore;
  tokenFailureLimit: number;
  /** How long after expiry a previous token still proves its identity (0: never): a dead token is remembered that long. */
  previousTokenGraceSeconds: number;
}

/**
 * Until when a token that failed now must stay dead: past the latest expiry it can have (issued now, with
 * the longest lifetime) and the previous-token grace after it. Whichever route it failed on, it could
 * still be presented as a previous token until then, so its count must not be pruned earlier.
 */
export const failureForgetAfter = (previousTokenGraceSeconds: number, nowMs = Date.now()) =>
  new Date(nowMs + (TTL_MAX + previousTokenGraceSeconds) * 1000);

export const tokenRevoked = () => new AppError('token_revoked', 'This token can no longer be used; start a new session');

const tokenHash = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/**
 * Validates a guest token for this request. A token that has failed the fingerprint check
 * `tokenFailureLimit` times is dead on every replica (the count is in Postgres), so guessing a stolen
 * token's signals ends after a handful of tries, whatever rate the guesses come at.
 */
export async function checkGuestToken(
  deps: GuestTokenCheckDeps,
  token: string,
  signals: FingerprintSignals,
  options: { expiredGraceSeconds?: number } = {},
): Promise<ValidateScopedTokenResponse> {
  const hash = tokenHash(token);
  if ((await deps.tokenFailures.failures(hash)) >= deps.tokenFailureLimit) throw tokenRevoked();
  const candidates = deps.fingerprints.candidates(signals);
  try {
    return await deps.tokens.validateToken({
      token,
      ...(candidates.length > 0 ? { fingerprintCandidates: candidates } : {}),
      ...(options.expiredGraceSeconds ? { expiredGraceSeconds: options.expiredGraceSeconds } : {}),
    });
  } catch (err) {
    if (isAppError(err) && err.code === 'fingerprint_mismatch') {
      await deps.tokenFailures.recordFailure(hash, failureForgetAfter(deps.previousTokenGraceSeconds));
    }
    throw err;
  }
}

/**
 * Tokens name the deployment key that minted them; once that key is revoked (or was never this
 * account's), none of its tokens is used again. Read from the account configuration already in hand
 * (cached, kept exact by LISTEN/NOTIFY), so the check costs no store query.
 */
export function requireActiveMintingKey(claims: Pick<ValidateScopedTokenResponse, 'deploymentKeyId'>, keys: readonly DeploymentKeySummary[]): void {
  const key = claims.deploymentKeyId ? keys.find((k) => k.id === claims.deploymentKeyId) : undefined;
  if (!key || key.status !== 'active') throw tokenRevoked();
}
