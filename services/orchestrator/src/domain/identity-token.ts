import { createHash } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { VerifiedGuest, type VerifiedGuest as VerifiedGuestType } from '@webchat/contracts';
import { AppError } from '@webchat/errors';

/** The only algorithm a customer may sign with: the secret is shared, so an HMAC, and one we chose. */
export const IDENTITY_TOKEN_ALGORITHM = 'HS256';
/** An identity token is made for one page load or sign-in, not kept: a longer one is refused. */
export const IDENTITY_TOKEN_MAX_LIFETIME_SECONDS = 86_400;
const CLOCK_TOLERANCE_SECONDS = 30;
const SUB_MAX_LENGTH = 256;

/** The secrets that verify an account's identity tokens, opened; empty when the account has none. */
export type IdentitySecretLookup = (accountSid: string) => Promise<string[]>;

export interface VerifiedIdentity {
  identity: string;
  verifiedGuest?: VerifiedGuestType;
}

const refused = (why: string) => new AppError('identity_token_invalid', `The identity token is not valid: ${why}`);

/**
 * The guest identity for a customer's user: the same account and `sub` give the same identity on every
 * device; another account gives another. A UUID (version 8, RFC 9562) from a domain-separated SHA-256.
 */
export function deriveIdentity(accountSid: string, sub: string): string {
  const bytes = createHash('sha256').update('webchat-identity\0').update(accountSid).update('\0').update(sub, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Verifies a JWT the customer's server signed with the account's identity secret (the current one, or
 * the previous one during a rotation): HS256 only, `aud` the account SID (a token for another account
 * never passes), `exp` required and at most a day ahead, `sub` the customer's user id.
 * Reasons are told: the reader is the customer's developer, and none of them helps forge a token.
 */
export function verifyIdentityToken(identityToken: string, accountSid: string, secrets: readonly string[], nowSeconds: number): VerifiedIdentity {
  if (secrets.length === 0) throw refused('this account has no identity secret (webchat-admin identity-secret rotate)');
  let payload: jwt.JwtPayload | undefined;
  let lastError: unknown;
  for (const secret of secrets) {
    try {
      const verified = jwt.verify(identityToken, secret, {
        algorithms: [IDENTITY_TOKEN_ALGORITHM],
        audience: accountSid,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        clockTimestamp: nowSeconds,
      });
      if (typeof verified === 'string') throw new Error('payload is not an object');
      payload = verified;
      break;
    } catch (err) {
      lastError = err;
      // Only a signature failure means "try the other secret"; anything else is the token's own fault.
      if (!(err instanceof jwt.JsonWebTokenError) || err instanceof jwt.TokenExpiredError || err.message !== 'invalid signature') break;
    }
  }
  if (!payload) {
    if (lastError instanceof jwt.TokenExpiredError) throw refused('it has expired');
    if (lastError instanceof jwt.JsonWebTokenError && /audience/.test(lastError.message)) throw refused('aud is not this account');
    if (lastError instanceof jwt.JsonWebTokenError && lastError.message === 'invalid signature') throw refused('the signature does not match the account identity secret');
    throw refused(`it must be a JWT signed with ${IDENTITY_TOKEN_ALGORITHM}`);
  }
  if (typeof payload.exp !== 'number') throw refused('exp is required');
  if (payload.exp > nowSeconds + IDENTITY_TOKEN_MAX_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS) throw refused('exp is more than a day ahead');
  const { sub } = payload;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > SUB_MAX_LENGTH) throw refused(`sub must be the user's id (1 to ${SUB_MAX_LENGTH} characters)`);
  const guest = VerifiedGuest.safeParse({
    ...(payload.name !== undefined ? { name: payload.name } : {}),
    ...(payload.email !== undefined ? { email: payload.email } : {}),
  });
  if (!guest.success) throw refused(`name or email is malformed (${guest.error.issues[0]?.path.join('.') ?? ''})`);
  const hasGuest = guest.data.name !== undefined || guest.data.email !== undefined;
  return { identity: deriveIdentity(accountSid, sub), ...(hasGuest ? { verifiedGuest: guest.data } : {}) };
}
