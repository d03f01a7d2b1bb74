import type { KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import jose from 'node-jose';
import type { EncryptionKeyMaterial } from '@webchat/scoped-auth/src/domain/key-material';

/** Helpers that play the attacker (or an auditor): they hold keys only where a test says so. */

export const b64json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
export const unb64json = (segment: string): Record<string, unknown> => JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));

export const jwkFor = (key: EncryptionKeyMaterial) => jose.JWK.asKey({ kty: 'oct', k: key.secret.toString('base64url'), kid: key.kid, use: 'enc' });

export async function decrypt(token: string, key: EncryptionKeyMaterial): Promise<string> {
  const result = await jose.JWE.createDecrypt(await jwkFor(key)).decrypt(token);
  return result.payload.toString('utf8');
}

/** Wraps any inner token in a JWE under `key`, with any protected header fields. */
export async function encrypt(inner: string, key: EncryptionKeyMaterial, fields: Record<string, unknown> = {}, options: { zip?: boolean } = {}): Promise<string> {
  const header = { alg: 'dir', enc: 'A256GCM', kid: key.kid, cty: 'JWT', ...fields };
  return jose.JWE.createEncrypt({ format: 'compact', fields: header, ...(options.zip ? { zip: true } : {}) }, await jwkFor(key))
    .update(Buffer.from(inner, 'utf8'))
    .final();
}

export function sign(payload: Record<string, unknown>, privateKey: KeyObject, header: Record<string, unknown>): string {
  const algorithm = (header.alg as jwt.Algorithm | undefined) ?? 'ES256';
  return jwt.sign(payload, privateKey, { algorithm, header: { alg: algorithm, typ: 'wct+jwt', ...header } as jwt.JwtHeader });
}

export function payloadOf(jws: string): Record<string, unknown> {
  return unb64json(jws.split('.')[1]!);
}

/** Swaps one character of a base64url segment for another, keeping the shape valid. */
export function flipChar(segment: string, at = Math.floor(segment.length / 2)): string {
  const c = segment[at]!;
  return segment.slice(0, at) + (c === 'A' ? 'B' : 'A') + segment.slice(at + 1);
}
