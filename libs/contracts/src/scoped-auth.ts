import { z } from 'zod';
import { AccountSid, DeploymentKeyId, EpochSeconds, Fingerprint, Grants, GuestTokenString, Identity, IsoDateTime, TokenResponse, Ttl, VerifiedGuest } from './common';

/** The longest an expired token may still prove its identity (`expiredGraceSeconds`). */
export const EXPIRED_GRACE_MAX_SECONDS = 90 * 86_400;

export const SCOPED_AUTH_GENERATE_PATH = '/v1/ScopedAuthTokens/generate/internal';
export const SCOPED_AUTH_VALIDATE_PATH = '/v1/ScopedAuthTokens/validate/internal';

export const GenerateScopedTokenRequest = z.strictObject({
  accountSid: AccountSid,
  grants: Grants,
  ttl: Ttl.default(3600),
  encrypt: z.boolean().default(true),
  fingerprint: Fingerprint.optional(),
  identity: Identity.optional().describe('Re-issue for the same guest instead of a new random identity'),
  sessionStartedAt: EpochSeconds.optional().describe('When the guest session began (refresh keeps it)'),
  deploymentKeyId: DeploymentKeyId.optional(),
  verifiedGuest: VerifiedGuest.optional(),
});
export type GenerateScopedTokenRequest = z.input<typeof GenerateScopedTokenRequest>;

export const GenerateScopedTokenResponse = TokenResponse;
export type GenerateScopedTokenResponse = z.infer<typeof GenerateScopedTokenResponse>;

export const ValidateScopedTokenRequest = z.strictObject({
  token: GuestTokenString,
  fingerprint: Fingerprint.optional(),
  /**
   * Several fingerprints, any of which may match: the caller computes one per fingerprint sensitivity
   * because it cannot know which level the (opaque) token was bound under. A bound token matches only
   * the value of its own level, so offering all of them grants nothing extra.
   */
  fingerprintCandidates: z.array(Fingerprint).min(1).max(3).optional(),
  /**
   * Set only when a guest presents its previous token as proof of identity: the token is checked in
   * full except `exp`, which may be this many seconds in the past.
   */
  expiredGraceSeconds: z.number().int().min(0).max(EXPIRED_GRACE_MAX_SECONDS).optional(),
});
export type ValidateScopedTokenRequest = z.input<typeof ValidateScopedTokenRequest>;

export const ValidateScopedTokenResponse = z.strictObject({
  accountSid: AccountSid,
  identity: Identity,
  grants: z.record(z.string(), z.unknown()),
  expiresAt: IsoDateTime,
  sessionStartedAt: EpochSeconds,
  fingerprintBound: z.boolean(),
  deploymentKeyId: DeploymentKeyId.optional(),
  verifiedGuest: VerifiedGuest.optional(),
});
export type ValidateScopedTokenResponse = z.infer<typeof ValidateScopedTokenResponse>;
