import { randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { LRUCache } from 'lru-cache';
import { AppError } from '@webchat/errors';

export const SERVICE_TOKEN_TYP = 'service+jwt';
export const SERVICE_TOKEN_ALGORITHM = 'ES256';
/** Upper bound on a service token's life, enforced by the callee whatever the caller claims. */
export const SERVICE_TOKEN_MAX_LIFETIME_SECONDS = 300;

export interface ServiceClaims {
  iss: string;
  aud: string;
  jti: string;
  iat: number;
  exp: number;
}

export interface SignerOptions {
  issuer: string;
  privateKey: KeyObject;
  ttlSeconds?: number;
  /** Re-sign this long before expiry, so a token never expires in flight. */
  refreshBeforeSeconds?: number;
  now?: () => number;
}

/** Caches one token per audience and re-signs shortly before it expires: one ECDSA sign per minute, not per call. */
export class ServiceTokenSigner {
  private readonly cache = new Map<string, { token: string; exp: number }>();
  private readonly ttl: number;
  private readonly refreshBefore: number;
  private readonly now: () => number;

  constructor(private readonly options: SignerOptions) {
    this.ttl = Math.min(options.ttlSeconds ?? 120, SERVICE_TOKEN_MAX_LIFETIME_SECONDS);
    this.refreshBefore = Math.min(options.refreshBeforeSeconds ?? 30, this.ttl / 2);
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
  }

  get issuer(): string {
    return this.options.issuer;
  }

  tokenFor(audience: string): string {
    const now = this.now();
    const cached = this.cache.get(audience);
    if (cached && cached.exp - now > this.refreshBefore) return cached.token;
    const exp = now + this.ttl;
    const token = jwt.sign({ iss: this.options.issuer, sub: this.options.issuer, aud: audience, jti: randomUUID(), iat: now, exp }, this.options.privateKey, {
      algorithm: SERVICE_TOKEN_ALGORITHM,
      header: { alg: SERVICE_TOKEN_ALGORITHM, typ: SERVICE_TOKEN_TYP, kid: this.options.issuer },
    });
    this.cache.set(audience, { token, exp });
    return token;
  }
}

export interface VerifierOptions {
  /** This service's name: the only audience it accepts. */
  audience: string;
  /** Public keys of the services it knows, by service name (the `kid` and `iss` of their tokens). */
  publicKeys: Record<string, KeyObject>;
  cacheSize?: number;
  clockToleranceSeconds?: number;
  now?: () => number;
}

const invalid = (detail: string) => new AppError('service_token_invalid', detail);

/**
 * Verifies service tokens with a pinned algorithm and known keys only. A verified token is cached
 * until its expiry, since the same caller token arrives on every call for a minute or two.
 */
export class ServiceTokenVerifier {
  private readonly cache: LRUCache<string, ServiceClaims>;
  private readonly now: () => number;

  constructor(private readonly options: VerifierOptions) {
    this.cache = new LRUCache({ max: options.cacheSize ?? 1000 });
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
  }

  verify(token: string): ServiceClaims {
    const now = this.now();
    const cached = this.cache.get(token);
    if (cached) {
      if (cached.exp > now) return cached;
      this.cache.delete(token);
    }
    const decoded = decodeSafely(token);
    if (!decoded || typeof decoded.payload === 'string') throw invalid('The service token is malformed');
    const { header } = decoded;
    if (header.typ !== SERVICE_TOKEN_TYP) throw invalid('The service token has the wrong type');
    const key = header.kid && Object.hasOwn(this.options.publicKeys, header.kid) ? this.options.publicKeys[header.kid] : undefined;
    if (!key) throw invalid('The service token was signed by an unknown key');
    const tolerance = this.options.clockToleranceSeconds ?? 5;
    let claims: jwt.JwtPayload;
    try {
      claims = jwt.verify(token, key, {
        algorithms: [SERVICE_TOKEN_ALGORITHM],
        audience: this.options.audience,
        issuer: header.kid,
        clockTolerance: tolerance,
        clockTimestamp: now,
      }) as jwt.JwtPayload;
    } catch (err) {
      throw invalid(err instanceof jwt.TokenExpiredError ? 'The service token has expired' : 'The service token is not valid');
    }
    const { iss, aud, jti, iat, exp } = claims;
    if (typeof jti !== 'string' || typeof iat !== 'number' || typeof exp !== 'number' || typeof iss !== 'string' || typeof aud !== 'string') {
      throw invalid('The service token lacks required claims');
    }
    // jsonwebtoken does not check iat: a token "issued" in the future would pass the lifetime cap and live as long as its issuer likes.
    if (iat > now + tolerance) throw invalid('The service token is issued in the future');
    if (exp - iat > SERVICE_TOKEN_MAX_LIFETIME_SECONDS) throw invalid('The service token lives too long');
    const verified: ServiceClaims = { iss, aud, jti, iat, exp };
    this.cache.set(token, verified);
    return verified;
  }
}

/** jws.decode JSON-parses the payload of a `typ: JWT` token without catching: garbage must be a 401, not a 500. */
function decodeSafely(token: string): jwt.Jwt | null {
  try {
    return jwt.decode(token, { complete: true });
  } catch {
    return null;
  }
}
