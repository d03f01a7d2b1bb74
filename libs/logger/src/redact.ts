import { createHmac } from 'node:crypto';

/**
 * A guest identity is a credential's subject, and a customer-signed one is derived from the customer's user id:
 * whoever reads a log must neither present it nor confirm "user X was here" by hashing a guess. Lines still need
 * correlating, so with a key (LOG_IDENTITY_KEY, the same in every service) an identity is logged as a short HMAC:
 * 48 bits, `id_` + 12 hex. Without a key it is not logged at all.
 */
const IDENTITY_KEY = /^(identity|guestIdentity|sub)$/i;
export const identityRef = (identity: string, key: Uint8Array): string =>
  `id_${createHmac('sha256', key).update('webchat-log-identity\0').update(identity, 'utf8').digest('hex').slice(0, 12)}`;

/**
 * Secrets must never reach a log line, whatever a caller passes in. Two nets: keys whose name says
 * "secret", and string values that look like tokens, keys or deployment keys wherever they appear.
 */
const SECRET_KEY = /(token|secret|password|passwd|authorization|cookie|private|jwe|jws|jwt|fingerprint|signals|deployment.?key|^key$|apikey|api_key|sdk.?key)/i;

const JWT_LIKE = /eyJ[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*){1,4}/g;
const PEM = /-----BEGIN [A-Z ]+-----[\s\S]*?(-----END [A-Z ]+-----|$)/g;
const BEARER = /(bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
const DEPLOYMENT_KEY = /\bdk_([A-Za-z0-9_-]{4})[A-Za-z0-9_-]{8,}/g;

export const REDACTED = '[REDACTED]';

export function redactString(value: string): string {
  return value
    .replace(PEM, REDACTED)
    .replace(JWT_LIKE, REDACTED)
    .replace(BEARER, `$1${REDACTED}`)
    .replace(DEPLOYMENT_KEY, 'dk_$1…');
}

/** `identityKey`: the HMAC key identities are logged under; without one they are redacted like secrets. */
export function redact(value: unknown, depth = 0, identityKey?: Uint8Array): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 6) return '[Truncated]';
  if (value instanceof Date) return value; // Object.entries would log it as {}
  // Raw bytes are as likely key material as anything else, and dumped byte by byte they are unreadable anyway.
  if (ArrayBuffer.isView(value)) return `[binary ${value.byteLength} bytes]`;
  if (value instanceof Error) {
    return { name: value.name, message: redactString(value.message), ...(value.stack ? { stack: redactString(value.stack) } : {}) };
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1, identityKey));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (IDENTITY_KEY.test(key) && typeof inner === 'string') {
      out[key] = identityKey ? identityRef(inner, identityKey) : REDACTED;
      continue;
    }
    out[key] = SECRET_KEY.test(key) && (typeof inner === 'string' || (typeof inner === 'object' && inner !== null)) ? REDACTED : redact(inner, depth + 1, identityKey);
  }
  return out;
}
