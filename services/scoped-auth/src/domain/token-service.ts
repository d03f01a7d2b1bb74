import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import jose from 'node-jose';
import { TTL_MAX, type ValidateScopedTokenResponse, type VerifiedGuest } from '@webchat/contracts';
import { AppError } from '@webchat/errors';
import type { TokenKeys } from './keys';
import { TokenClaims, fingerprintHash, fingerprintMatches } from './claims';
import { JweEncrypter } from './jwe';
import { JWE_ALG, JWE_ENC, SIGNING_ALGORITHM, TOKEN_TYP, TokenRejected, checkJweHeader, checkJwsHeader } from './jose-headers';

export interface TokenSettings {
  issuer: string;
  audience: string;
  clockToleranceSeconds: number;
}

export interface MintInput {
  accountSid: string;
  grants: Record<string, unknown>;
  ttl: number;
  encrypt: boolean;
  fingerprint?: string | undefined;
  identity?: string | undefined;
  sessionStartedAt?: number | undefined;
  deploymentKeyId?: string | undefined;
  verifiedGuest?: VerifiedGuest | undefined;
}

export interface ValidateOptions {
  /** Fingerprint candidates of this client (one per sensitivity level); a bound token needs one to match. */
  fingerprints?: readonly string[];
  /** Accept a token whose `exp` passed at most this long ago (previous-token proof); everything else is checked as usual. */
  expiredGraceSeconds?: number;
}

export interface MintedToken {
  token: string;
  identity: string;
  expiresAt: string;
  jti: string;
  encrypted: boolean;
  fingerprintBound: boolean;
}

export interface ValidatedToken extends ValidateScopedTokenResponse {
  jti: string;
  encrypted: boolean;
}

const isoSeconds = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString();

/** Mints and validates guest tokens; the only code that touches the token keys. */
export class TokenService {
  private readonly now: () => number;
  private readonly decrypters = new Map<string, jose.JWE.Decryptor>();
  private readonly encrypter: JweEncrypter;

  constructor(
    private readonly keys: TokenKeys,
    private readonly settings: TokenSettings,
    /** Epoch seconds; tests move it to mint expired or not-yet-valid tokens. */
    now?: () => number,
  ) {
    this.now = now ?? (() => Math.floor(Date.now() / 1000));
    this.encrypter = new JweEncrypter(keys.encryption.kid, keys.encryption.key);
  }

  get activeKids(): { signing: string; encryption: string } {
    return { signing: this.keys.signing.kid, encryption: this.keys.encryption.kid };
  }

  async mint(input: MintInput): Promise<MintedToken> {
    const now = this.now();
    const sessionStartedAt = input.sessionStartedAt ?? now;
    if (sessionStartedAt > now + this.settings.clockToleranceSeconds) {
      throw new AppError('invalid_request', 'The body is not valid: sessionStartedAt: must not be in the future', {
        errors: [{ field: 'sessionStartedAt', message: 'must not be in the future' }],
      });
    }
    const identity = input.identity ?? randomUUID();
    const jti = randomUUID();
    const exp = now + input.ttl;
    const claims: TokenClaims = {
      iss: this.settings.issuer,
      sub: identity,
      aud: this.settings.audience,
      iat: now,
      nbf: now,
      exp,
      jti,
      account_sid: input.accountSid,
      grants: input.grants,
      sst: sessionStartedAt,
      ...(input.fingerprint !== undefined ? { fph: fingerprintHash(input.fingerprint) } : {}),
      ...(input.deploymentKeyId !== undefined ? { dki: input.deploymentKeyId } : {}),
      ...(input.verifiedGuest !== undefined ? { vgu: input.verifiedGuest } : {}),
    };
    const { kid, privateKey } = this.keys.signing;
    const jws = jwt.sign(claims, privateKey, { algorithm: SIGNING_ALGORITHM, header: { alg: SIGNING_ALGORITHM, typ: TOKEN_TYP, kid } });
    const token = input.encrypt ? this.encrypter.encrypt(jws) : jws;
    return { token, identity, expiresAt: isoSeconds(exp), jti, encrypted: input.encrypt, fingerprintBound: claims.fph !== undefined };
  }

  /**
   * Every layer is checked (RFC 8725); the first failure decides the code. Only the JWE form is a
   * guest token: every token we mint for a guest is encrypted, so a bare JWS was made some other way.
   */
  async validate(token: string, options: ValidateOptions = {}): Promise<ValidatedToken> {
    const fingerprints = options.fingerprints ?? [];
    const parts = token.split('.');
    if (parts.length !== 5) throw new TokenRejected('token_invalid', parts.length === 3 ? 'an unencrypted JWS is not a guest token' : 'not a compact JWE');
    const jws = await this.decrypt(token, parts);

    const claims = this.verify(jws, options.expiredGraceSeconds ?? 0);
    if (claims.fph !== undefined) {
      if (fingerprints.length === 0) throw new TokenRejected('fingerprint_required', 'bound token presented without a fingerprint');
      // Every candidate is compared, so the time taken does not tell which one matched.
      const matches = fingerprints.map((candidate) => fingerprintMatches(claims.fph!, candidate));
      if (!matches.includes(true)) throw new TokenRejected('fingerprint_mismatch', 'fingerprint differs from the bound one');
    }
    return {
      accountSid: claims.account_sid,
      identity: claims.sub,
      grants: claims.grants,
      expiresAt: isoSeconds(claims.exp),
      sessionStartedAt: claims.sst,
      fingerprintBound: claims.fph !== undefined,
      ...(claims.dki !== undefined ? { deploymentKeyId: claims.dki } : {}),
      ...(claims.vgu !== undefined ? { verifiedGuest: claims.vgu } : {}),
      jti: claims.jti,
      encrypted: true,
    };
  }

  private async decrypt(token: string, parts: string[]): Promise<string> {
    const kid = checkJweHeader(parts, this.keys.decryption);
    let payload: Buffer;
    try {
      const result = await this.decrypterFor(kid).decrypt(token);
      payload = result.payload;
    } catch {
      throw new TokenRejected('token_invalid', 'JWE did not decrypt (tampered, or another key)');
    }
    return payload.toString('utf8');
  }

  /**
   * One decrypter per key, made on first use: createDecrypt builds a keystore around the key each time,
   * about a third of a decryption's cost. A decrypter keeps no state between decryptions.
   */
  private decrypterFor(kid: string): jose.JWE.Decryptor {
    let decrypter = this.decrypters.get(kid);
    if (!decrypter) {
      decrypter = jose.JWE.createDecrypt(this.keys.decryption.get(kid)!, { algorithms: [JWE_ALG, JWE_ENC] });
      this.decrypters.set(kid, decrypter);
    }
    return decrypter;
  }

  private verify(jws: string, expiredGraceSeconds: number): TokenClaims {
    const kid = checkJwsHeader(jws, this.keys.verification);
    const now = this.now();
    let payload: unknown;
    try {
      payload = jwt.verify(jws, this.keys.verification.get(kid)!, {
        algorithms: [SIGNING_ALGORITHM],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        clockTolerance: this.settings.clockToleranceSeconds,
        clockTimestamp: now,
        // Only exp is relaxed, and only by the grace: the check follows below, after the claims are parsed.
        ignoreExpiration: expiredGraceSeconds > 0,
      });
    } catch (err) {
      if (err instanceof jwt.TokenExpiredError) throw new TokenRejected('token_expired', 'exp has passed');
      const reason = err instanceof jwt.NotBeforeError ? 'nbf is in the future' : `JWS refused: ${err instanceof Error ? err.message : 'unknown'}`;
      throw new TokenRejected('token_invalid', reason);
    }
    const parsed = TokenClaims.safeParse(payload);
    if (!parsed.success) throw new TokenRejected('token_invalid', 'claims are malformed');
    const claims = parsed.data;
    // We never issue a token living longer than TTL_MAX: a longer one was not minted by this code.
    if (claims.exp - claims.iat > TTL_MAX || claims.nbf < claims.iat) throw new TokenRejected('token_invalid', 'lifetime claims are inconsistent');
    // A session cannot start after its own token was signed: such a token was not minted by this code.
    if (claims.sst > claims.iat + this.settings.clockToleranceSeconds) throw new TokenRejected('token_invalid', 'session start is after issue time');
    if (expiredGraceSeconds > 0 && now > claims.exp + this.settings.clockToleranceSeconds + expiredGraceSeconds) {
      throw new TokenRejected('token_expired', 'exp has passed, beyond the previous-token grace');
    }
    return claims;
  }
}
