import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { AccountSid, DeploymentKeyId, EpochSeconds, Identity, VerifiedGuest } from '@webchat/contracts';

/** The payload of a guest token, checked after the signature so a malformed but signed token is still refused. */
export const TokenClaims = z.object({
  iss: z.string(),
  sub: Identity,
  aud: z.string(),
  iat: EpochSeconds,
  nbf: EpochSeconds,
  exp: EpochSeconds,
  jti: z.uuid(),
  account_sid: AccountSid,
  grants: z.record(z.string(), z.unknown()),
  /** When the guest session began (epoch seconds); refresh keeps it, so the orchestrator can cap a session. */
  sst: EpochSeconds,
  /** base64url SHA-256 of the fingerprint, present only on bound tokens. */
  fph: z.string().regex(/^[A-Za-z0-9_-]{43}$/).optional(),
  /** The deployment key the token was minted with; the orchestrator checks it is still active on every use. */
  dki: DeploymentKeyId.optional(),
  /** Name and email a customer's server vouched for (a verified identity token). */
  vgu: VerifiedGuest.optional(),
});
export type TokenClaims = z.infer<typeof TokenClaims>;

/** The fingerprint is already an HMAC from the orchestrator; hashing again keeps even that out of the token. */
export const fingerprintHash = (fingerprint: string): string => createHash('sha256').update(fingerprint, 'utf8').digest('base64url');

export function fingerprintMatches(claimed: string, fingerprint: string): boolean {
  const expected = Buffer.from(claimed, 'base64url');
  const actual = createHash('sha256').update(fingerprint, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
