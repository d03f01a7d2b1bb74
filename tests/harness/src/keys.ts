import crypto, { type KeyObject } from 'node:crypto';
import { SERVICE_NAMES, ServiceTokenSigner, ServiceTokenVerifier, type ServiceName } from '@webchat/service-auth';
import type { EncryptionKeyMaterial, SigningKeyMaterial, TokenKeyMaterial } from '@webchat/scoped-auth/src/domain/key-material';

export function signingKey(kid: string): SigningKeyMaterial & { privateKey: KeyObject } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid, privateKey, publicKey };
}

export const encryptionKey = (kid: string): EncryptionKeyMaterial => ({ kid, secret: crypto.randomBytes(32) });

/** A key set whose first signing and encryption keys are active unless told otherwise. */
export function keyMaterial(
  signing: SigningKeyMaterial[] = [signingKey('sig-1')],
  encryption: EncryptionKeyMaterial[] = [encryptionKey('enc-1')],
  active: { signing?: string; encryption?: string } = {},
): TokenKeyMaterial {
  return {
    signing,
    encryption,
    activeSigningKid: active.signing ?? signing[0]!.kid,
    activeEncryptionKid: active.encryption ?? encryption[0]!.kid,
  };
}

/** One ES256 service-token key pair per service, held in memory for a test file. */
export class ServiceIdentities {
  readonly privateKeys = {} as Record<ServiceName, KeyObject>;
  readonly publicKeys = {} as Record<ServiceName, KeyObject>;

  constructor() {
    for (const name of SERVICE_NAMES) {
      const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
      this.privateKeys[name] = privateKey;
      this.publicKeys[name] = publicKey;
    }
  }

  signer(issuer: ServiceName, options: { now?: () => number; privateKey?: KeyObject } = {}): ServiceTokenSigner {
    return new ServiceTokenSigner({ issuer, privateKey: options.privateKey ?? this.privateKeys[issuer], ...(options.now ? { now: options.now } : {}) });
  }

  /** A caller's bearer token for `audience`. */
  token(issuer: ServiceName, audience: string): string {
    return this.signer(issuer).tokenFor(audience);
  }

  verifier(audience: ServiceName): ServiceTokenVerifier {
    return new ServiceTokenVerifier({ audience, publicKeys: { ...this.publicKeys } });
  }
}
