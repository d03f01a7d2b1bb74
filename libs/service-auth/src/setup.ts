import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { defaultDevSecretsDir, readSecretValue } from '@webchat/config';
import { ensureDevServiceKeys, loadPublicKeys, parsePrivateKey, privateKeyFile } from './keys';
import { ServiceTokenSigner, ServiceTokenVerifier } from './tokens';

/** The service-auth part of every service's environment (merged into each config schema). */
export const serviceAuthEnv = {
  SERVICE_AUTH_PRIVATE_KEY: z.string().optional().describe("This service's ES256 private key (PEM, or @/path/to/file). Secret."),
  SERVICE_AUTH_PUBLIC_KEYS_DIR: z.string().optional().describe('Folder of <service>.pub.pem files of the services this one trusts'),
};
export const SERVICE_AUTH_SECRETS = ['SERVICE_AUTH_PRIVATE_KEY', 'SERVICE_AUTH_PUBLIC_KEYS_DIR'] as const;

export interface ServiceAuthSettings {
  SERVICE_AUTH_PRIVATE_KEY?: string | undefined;
  SERVICE_AUTH_PUBLIC_KEYS_DIR?: string | undefined;
}

export interface ServiceAuth {
  signer: ServiceTokenSigner;
  verifier: ServiceTokenVerifier;
}

/**
 * Builds the signer and verifier of `service` from its settings. Without settings (development only:
 * production config refuses to start without them) one key pair per service is generated into the
 * git-ignored dev-secrets folder, shared by all local services.
 */
export function createServiceAuth(service: string, settings: ServiceAuthSettings, devDir = path.join(defaultDevSecretsDir(), 'service-keys')): ServiceAuth {
  let privatePem = settings.SERVICE_AUTH_PRIVATE_KEY ? readSecretValue(settings.SERVICE_AUTH_PRIVATE_KEY) : undefined;
  let publicDir = settings.SERVICE_AUTH_PUBLIC_KEYS_DIR;
  if (!privatePem || !publicDir) {
    ensureDevServiceKeys(devDir);
    privatePem ??= fs.readFileSync(privateKeyFile(devDir, service), 'utf8');
    publicDir ??= devDir;
  }
  const signer = new ServiceTokenSigner({ issuer: service, privateKey: parsePrivateKey(privatePem) });
  const verifier = new ServiceTokenVerifier({ audience: service, publicKeys: loadPublicKeys(publicDir) });
  return { signer, verifier };
}
