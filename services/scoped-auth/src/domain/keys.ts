import { createSecretKey, type KeyObject } from 'node:crypto';
import jose from 'node-jose';
import type { TokenKeyMaterial } from './key-material';

/**
 * Every key scoped-auth holds, imported once at start: jsonwebtoken and the mint's AES-GCM get
 * KeyObjects, node-jose (which decrypts on validation) its own key objects, so no call re-parses key material.
 */
export interface TokenKeys {
  signing: { kid: string; privateKey: KeyObject };
  /** Every configured signing key, active or retired: validation accepts any of them. */
  verification: ReadonlyMap<string, KeyObject>;
  /** The active A256GCM content key (`alg: dir`) that new tokens are encrypted with. */
  encryption: { kid: string; key: KeyObject };
  decryption: ReadonlyMap<string, jose.JWK.Key>;
}

function uniqueKids(kids: string[], what: string): void {
  const seen = new Set<string>();
  for (const kid of kids) {
    if (seen.has(kid)) throw new Error(`${what} kid "${kid}" is configured twice`);
    seen.add(kid);
  }
}

export async function createTokenKeys(material: TokenKeyMaterial): Promise<TokenKeys> {
  uniqueKids(material.signing.map((k) => k.kid), 'signing');
  uniqueKids(material.encryption.map((k) => k.kid), 'encryption');

  const activeSigning = material.signing.find((k) => k.kid === material.activeSigningKid);
  if (!activeSigning?.privateKey) throw new Error(`active signing key "${material.activeSigningKid}" is not configured with a private key`);

  const decryption = new Map<string, jose.JWK.Key>();
  for (const { kid, secret } of material.encryption) {
    decryption.set(kid, await jose.JWK.asKey({ kty: 'oct', k: secret.toString('base64url'), kid, use: 'enc' }));
  }
  const activeEncryption = material.encryption.find((k) => k.kid === material.activeEncryptionKid);
  if (!activeEncryption) throw new Error(`active encryption key "${material.activeEncryptionKid}" is not configured`);

  return {
    signing: { kid: activeSigning.kid, privateKey: activeSigning.privateKey },
    verification: new Map(material.signing.map((k) => [k.kid, k.publicKey])),
    encryption: { kid: activeEncryption.kid, key: createSecretKey(activeEncryption.secret) },
    decryption,
  };
}
