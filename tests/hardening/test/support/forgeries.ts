import crypto from 'node:crypto';
import type { ErrorCode } from '@webchat/contracts';
import type { TokenKeyMaterial } from '@webchat/scoped-auth/src/domain/key-material';
import { b64json, encrypt, flipChar, sign } from '@webchat/test-harness';
import { encryptionKey, signingKey } from '@webchat/test-harness';
import { guestClaims, nowSeconds } from '@webchat/test-harness';

export interface Forgery {
  name: string;
  token: string;
  code: ErrorCode;
  /** What scoped-auth must log as its reason: proves the intended check refused it, not an earlier accident. */
  reason?: RegExp;
}

/**
 * Tokens an attacker (or, where a test holds the real keys, an insider) can make, each with exactly
 * one defect. `only` picks by name; `extra.genuine` (a token the system minted) is what gets tampered;
 * `extra.identity` makes every forgery claim that guest, so only its defect can be why it is refused.
 */
export async function forgedTokens(
  material: TokenKeyMaterial,
  accountSid: string,
  only?: string[],
  extra: { genuine?: string; serviceToken?: string; identity?: string; deploymentKeyId?: string } = {},
): Promise<Forgery[]> {
  const sig = material.signing.find((k) => k.kid === material.activeSigningKid)!;
  const enc = material.encryption.find((k) => k.kid === material.activeEncryptionKid)!;
  if (!sig.privateKey) throw new Error('the active signing key has no private key');
  const claims = (overrides: Record<string, unknown> = {}) =>
    guestClaims(accountSid, { ...(extra.identity ? { sub: extra.identity } : {}), ...(extra.deploymentKeyId ? { dki: extra.deploymentKeyId } : {}), ...overrides });
  const signed = (overrides: Record<string, unknown> = {}, header: Record<string, unknown> = {}) => sign(claims(overrides), sig.privateKey!, { kid: sig.kid, ...header });
  const sealed = (inner: string, fields: Record<string, unknown> = {}) => encrypt(inner, enc, fields);
  const attacker = signingKey(sig.kid);
  const publicPem = sig.publicKey.export({ type: 'spki', format: 'pem' }).toString();

  const makers: Record<string, () => Promise<Omit<Forgery, 'name'>> | Omit<Forgery, 'name'>> = {
    'a good token': async () => ({ token: await sealed(signed()), code: 'token_invalid' }),
    'a flipped character in the ciphertext': () => ({ token: withSegment(genuine(), 3, flipChar), code: 'token_invalid', reason: /did not decrypt/ }),
    'a flipped character in the authentication tag': () => ({ token: withSegment(genuine(), 4, flipChar), code: 'token_invalid', reason: /did not decrypt/ }),
    'a re-encoded protected header': () => ({
      token: withSegment(genuine(), 0, (segment) => {
        const { alg, enc: e, kid, cty } = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;
        return b64json({ kid, cty, enc: e, alg });
      }),
      code: 'token_invalid',
      reason: /did not decrypt/,
    }),
    'four segments (truncated)': () => ({ token: genuine().split('.').slice(0, 4).join('.'), code: 'token_invalid', reason: /not a compact JWE/ }),
    'cut in half': () => ({ token: genuine().slice(0, Math.floor(genuine().length / 2)), code: 'token_invalid' }),
    'the IV and ciphertext swapped': () => {
      const p = genuine().split('.');
      return { token: [p[0], p[1], p[3], p[2], p[4]].join('.'), code: 'token_invalid' };
    },
    'the segments reversed': () => ({ token: genuine().split('.').reverse().join('.'), code: 'token_invalid' }),
    'alg none inside a good JWE': async () => ({ token: await sealed(`${b64json({ alg: 'none', typ: 'wct+jwt', kid: sig.kid })}.${b64json(claims())}.`), code: 'token_invalid', reason: /alg none/ }),
    'alg none, plain': () => ({ token: `${b64json({ alg: 'none', typ: 'wct+jwt', kid: sig.kid })}.${b64json(claims())}.`, code: 'token_invalid', reason: /unencrypted JWS/ }),
    'HS256 keyed with the public key': async () => {
      const header = b64json({ alg: 'HS256', typ: 'wct+jwt', kid: sig.kid });
      const body = b64json(claims());
      const mac = crypto.createHmac('sha256', publicPem).update(`${header}.${body}`).digest('base64url');
      return { token: await sealed(`${header}.${body}.${mac}`), code: 'token_invalid', reason: /alg HS256/ };
    },
    'an unknown signing kid': async () => {
      const stranger = signingKey('sig-stranger');
      return { token: await sealed(sign(claims(), stranger.privateKey, { kid: 'sig-stranger' })), code: 'token_invalid', reason: /JWS kid is not a configured key/ };
    },
    'an unknown encryption kid': async () => ({ token: await encrypt(signed(), encryptionKey('enc-stranger')), code: 'token_invalid', reason: /JWE kid is not a configured key/ }),
    'a jku header on the JWS': async () => ({ token: await sealed(signed({}, { jku: 'https://attacker.example/jwks.json' })), code: 'token_invalid', reason: /unsupported field\(s\): jku/ }),
    'an x5u header on the JWS': async () => ({ token: await sealed(signed({}, { x5u: 'https://attacker.example/cert.pem' })), code: 'token_invalid', reason: /unsupported field\(s\): x5u/ }),
    'an embedded jwk with its own key': async () => {
      const jwk = attacker.publicKey.export({ format: 'jwk' });
      return { token: await sealed(sign(claims(), attacker.privateKey, { kid: sig.kid, jwk })), code: 'token_invalid', reason: /unsupported field\(s\): jwk/ };
    },
    'a jku header on the JWE': async () => ({ token: await sealed(signed(), { jku: 'https://attacker.example/jwks.json' }), code: 'token_invalid', reason: /unsupported field\(s\): jku/ }),
    'an x5u header on the JWE': async () => ({ token: await sealed(signed(), { x5u: 'https://attacker.example/cert.pem' }), code: 'token_invalid', reason: /unsupported field\(s\): x5u/ }),
    expired: async () => {
      const now = nowSeconds();
      return { token: await sealed(signed({ iat: now - 7200, nbf: now - 7200, exp: now - 60, sst: now - 7200 })), code: 'token_expired', reason: /exp has passed/ };
    },
    'nbf in the future': async () => ({ token: await sealed(signed({ nbf: nowSeconds() + 600, exp: nowSeconds() + 1200 })), code: 'token_invalid', reason: /nbf/ }),
    'another audience': async () => ({ token: await sealed(signed({ aud: 'urn:webchat:admin' })), code: 'token_invalid', reason: /audience invalid/ }),
    'another issuer': async () => ({ token: await sealed(signed({ iss: 'https://attacker.example' })), code: 'token_invalid', reason: /issuer invalid/ }),
    'typ JWT': async () => ({ token: await sealed(signed({}, { typ: 'JWT' })), code: 'token_invalid', reason: /typ JWT/ }),
    'a service token': () => {
      if (!extra.serviceToken) throw new Error('needs extra.serviceToken');
      return { token: extra.serviceToken, code: 'token_invalid', reason: /unencrypted JWS/ };
    },
    'another key under our kid': async () => ({ token: await sealed(sign(claims(), attacker.privateKey, { kid: sig.kid })), code: 'token_invalid', reason: /invalid signature/ }),
  };

  function genuine(): string {
    if (!extra.genuine) throw new Error('needs extra.genuine (a token the system minted)');
    return extra.genuine;
  }

  const names = only ?? Object.keys(makers).filter((name) => name !== 'a good token');
  const out: Forgery[] = [];
  for (const name of names) {
    const make = makers[name];
    if (!make) throw new Error(`no forgery named ${name}`);
    out.push({ name, ...(await make()) });
  }
  return out;
}

function withSegment(token: string, index: number, change: (segment: string) => string): string {
  const parts = token.split('.');
  parts[index] = change(parts[index]!);
  return parts.join('.');
}
