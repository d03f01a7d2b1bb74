import crypto, { type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensureDevSecret } from '@webchat/config';

/** The services that sign and verify service tokens: the diagram's three backend participants. */
export const SERVICE_NAMES = ['orchestrator', 'federated-auth', 'scoped-auth'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export function generateServiceKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export const privateKeyFile = (dir: string, service: string) => path.join(dir, `${service}.key.pem`);
export const publicKeyFile = (dir: string, service: string) => path.join(dir, `${service}.pub.pem`);

/**
 * Development only: one ES256 pair per service in a git-ignored folder, made once. The private key is
 * created atomically (the first writer wins) and the public key is always derived from it, so services
 * starting together, or a crash between the two writes, cannot leave a mismatched pair behind.
 */
export function ensureDevServiceKeys(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const service of SERVICE_NAMES) {
    const privateKeyPem = ensureDevSecret(dir, path.basename(privateKeyFile(dir, service)), () => generateServiceKeyPair().privateKeyPem);
    const publicKeyPem = crypto.createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
    const file = publicKeyFile(dir, service);
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === publicKeyPem) continue;
    const tmp = `${file}.${process.pid}.${crypto.randomUUID()}.tmp`;
    fs.writeFileSync(tmp, publicKeyPem, { mode: 0o644 });
    fs.renameSync(tmp, file);
  }
}

/** Parsed once at start: jsonwebtoken re-parses PEM strings on every call, which is many times slower. */
export function parsePrivateKey(pem: string): KeyObject {
  const key = crypto.createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('service private key must be an EC P-256 key (ES256)');
  }
  return key;
}

/** Public keys of the callers a callee knows, from `<service>.pub.pem` files (a mounted ConfigMap). */
export function loadPublicKeys(dir: string, services: readonly string[] = SERVICE_NAMES): Record<string, KeyObject> {
  const keys: Record<string, KeyObject> = {};
  for (const service of services) {
    const file = publicKeyFile(dir, service);
    if (fs.existsSync(file)) keys[service] = crypto.createPublicKey(fs.readFileSync(file, 'utf8'));
  }
  return keys;
}
