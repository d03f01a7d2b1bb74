import { ERROR_CODES } from '@webchat/contracts';
import { AppError } from '@webchat/errors';

/** Explicit type of our guest tokens (RFC 8725 §3.11): a service JWT or an id token can never pass for one. */
export const TOKEN_TYP = 'wct+jwt';
export const SIGNING_ALGORITHM = 'ES256';
export const JWE_ALG = 'dir';
export const JWE_ENC = 'A256GCM';
export const JWE_CTY = 'JWT';

/**
 * Allow-lists, not deny-lists: anything else (`jku`, `x5u`, `jwk`, `x5c`, `zip`, `crit`, `b64`, ...) is
 * refused, so no header can point us at a key, a compression or an extension we did not choose.
 */
const JWS_HEADER_FIELDS = new Set(['alg', 'typ', 'kid']);
const JWE_HEADER_FIELDS = new Set(['alg', 'enc', 'kid', 'cty']);

export type TokenRejectionCode = 'token_invalid' | 'token_expired' | 'fingerprint_mismatch' | 'fingerprint_required';

/**
 * A refused token. The client sees only the code's generic title; `reason` (which check failed)
 * goes to the log, so a probing caller learns nothing about which layer it got past.
 */
export class TokenRejected extends AppError {
  constructor(
    code: TokenRejectionCode,
    readonly reason: string,
  ) {
    super(code, ERROR_CODES[code].title);
  }
}

const invalid = (reason: string) => new TokenRejected('token_invalid', reason);

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Unpadded base64url that re-encodes to itself (no spare bits set, no impossible length); empty is canonical. */
export const isCanonicalBase64url = (segment: string): boolean =>
  segment === '' || (BASE64URL.test(segment) && Buffer.from(segment, 'base64url').toString('base64url') === segment);

function decodeHeader(segment: string, layer: string): Record<string, unknown> {
  if (!BASE64URL.test(segment)) throw invalid(`${layer} header is not base64url`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw invalid(`${layer} header is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid(`${layer} header is not an object`);
  return parsed as Record<string, unknown>;
}

function checkFields(header: Record<string, unknown>, allowed: Set<string>, layer: string): void {
  const extra = Object.keys(header).filter((name) => !allowed.has(name));
  if (extra.length > 0) throw invalid(`${layer} header has unsupported field(s): ${extra.join(', ')}`);
}

function requireKid(header: Record<string, unknown>, known: ReadonlyMap<string, unknown>, layer: string): string {
  const { kid } = header;
  if (typeof kid !== 'string') throw invalid(`${layer} header has no kid`);
  if (!known.has(kid)) throw invalid(`${layer} kid is not a configured key`);
  return kid;
}

/** Checks a compact JWE's protected header and shape before any key or cipher is touched. */
export function checkJweHeader(parts: string[], known: ReadonlyMap<string, unknown>): string {
  const header = decodeHeader(parts[0]!, 'JWE');
  checkFields(header, JWE_HEADER_FIELDS, 'JWE');
  if (header.alg !== JWE_ALG) throw invalid(`JWE alg ${String(header.alg)} is not allowed`);
  if (header.enc !== JWE_ENC) throw invalid(`JWE enc ${String(header.enc)} is not allowed`);
  if (header.cty !== JWE_CTY) throw invalid('JWE cty is not JWT');
  // `dir` has no wrapped key: anything in that segment means another algorithm's token.
  if (parts[1] !== '') throw invalid('JWE carries an encrypted key, which dir never has');
  // One token, one spelling. The last character of a base64url segment can carry spare bits that a decoder
  // ignores, so several strings would decrypt to the same token, each with its own mismatch count (issue 12,
  // finding 3) and its own edge budget. Only the canonical encoding, the one we mint, is accepted.
  parts.forEach((segment, index) => {
    if (!isCanonicalBase64url(segment)) throw invalid(`JWE segment ${index + 1} is not canonical base64url`);
  });
  return requireKid(header, known, 'JWE');
}

export function checkJwsHeader(jws: string, known: ReadonlyMap<string, unknown>): string {
  const parts = jws.split('.');
  if (parts.length !== 3) throw invalid('inner token is not a compact JWS');
  const header = decodeHeader(parts[0]!, 'JWS');
  checkFields(header, JWS_HEADER_FIELDS, 'JWS');
  if (header.alg !== SIGNING_ALGORITHM) throw invalid(`JWS alg ${String(header.alg)} is not allowed`);
  if (header.typ !== TOKEN_TYP) throw invalid(`JWS typ ${String(header.typ)} is not ${TOKEN_TYP}`);
  return requireKid(header, known, 'JWS');
}
