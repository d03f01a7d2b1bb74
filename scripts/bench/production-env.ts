import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { defaultDevSecretsDir, devLogIdentityKey, ensureDevSecret } from '@webchat/config';
import { ensureDevServiceKeys, privateKeyFile } from '@webchat/service-auth';
import { generateEncryptionSecret, generateSigningKeyPem } from '@webchat/scoped-auth/src/domain/key-material';

/**
 * The development keys, made on first use exactly where `pnpm start` keeps them (the services' own
 * dev defaults use these paths), so the benchmark and the local runner share one set.
 */
export interface DevKeys {
  signingKeysDir: string;
  encryptionKeysDir: string;
  serviceKeysDir: string;
  fingerprintSecret: string;
  identitySecretsKey: string;
  logIdentityKey: string;
}

export function ensureDevKeys(devDir = defaultDevSecretsDir()): DevKeys {
  const scoped = join(devDir, 'scoped-auth');
  ensureDevSecret(scoped, 'signing/dev-1.pem', generateSigningKeyPem);
  ensureDevSecret(scoped, 'encryption/dev-1.key', generateEncryptionSecret);
  const serviceKeysDir = join(devDir, 'service-keys');
  ensureDevServiceKeys(serviceKeysDir);
  const fingerprintSecret = ensureDevSecret(devDir, 'orchestrator/fingerprint-secret', () => randomBytes(32).toString('base64url')).trim();
  const identitySecretsKey = ensureDevSecret(devDir, 'orchestrator/identity-secrets-key', () => randomBytes(32).toString('base64url')).trim();
  const logIdentityKey = devLogIdentityKey(devDir);
  return { signingKeysDir: join(scoped, 'signing'), encryptionKeysDir: join(scoped, 'encryption'), serviceKeysDir, fingerprintSecret, identitySecretsKey, logIdentityKey };
}

export interface ProductionUrls {
  databaseUrl: string;
  federatedAuthUrl: string;
  scopedAuthUrl: string;
  flagsFile: string;
}

/**
 * Production mode with the development keys passed explicitly: each service's config.ts refuses to
 * start in production without these variables, so nothing here relies on a development default.
 */
export function productionEnv(service: string, port: number, keys: DevKeys, urls: ProductionUrls, logLevel: string): NodeJS.ProcessEnv {
  const common: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: logLevel,
    HOST: '127.0.0.1',
    PORT: String(port),
    SERVICE_AUTH_PUBLIC_KEYS_DIR: keys.serviceKeysDir,
    LOG_IDENTITY_KEY: keys.logIdentityKey,
  };
  switch (service) {
    case 'scoped-auth':
      return { ...common, TOKEN_SIGNING_KEYS: keys.signingKeysDir, TOKEN_ENCRYPTION_KEYS: keys.encryptionKeysDir };
    case 'federated-auth':
      return { ...common, SERVICE_AUTH_PRIVATE_KEY: `@${privateKeyFile(keys.serviceKeysDir, 'federated-auth')}`, SCOPED_AUTH_URL: urls.scopedAuthUrl };
    case 'orchestrator':
      return {
        ...common,
        SERVICE_AUTH_PRIVATE_KEY: `@${privateKeyFile(keys.serviceKeysDir, 'orchestrator')}`,
        DATABASE_URL: urls.databaseUrl,
        FINGERPRINT_SECRET: keys.fingerprintSecret,
        IDENTITY_SECRETS_KEY: keys.identitySecretsKey,
        FEDERATED_AUTH_URL: urls.federatedAuthUrl,
        SCOPED_AUTH_URL: urls.scopedAuthUrl,
        LAUNCHDARKLY_FLAGS_FILE: urls.flagsFile,
        // Starship (on loopback here) is the one proxy whose X-Forwarded-For is believed.
        TRUSTED_PROXIES: 'loopback',
      };
    default:
      throw new Error(`no production environment for ${service}`);
  }
}
