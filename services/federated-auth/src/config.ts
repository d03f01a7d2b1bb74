import type { KeyObject } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { TTL_MAX, TTL_MIN, federatedAuthRoutes, serviceCallersOf } from '@webchat/contracts';
import {
  ConfigError,
  contractViolationsFor,
  defaultDevSecretsDir,
  envInt,
  envLogLevel,
  envPort,
  envUrl,
  isProductionEnv,
  loadConfig,
  logIdentityKeyBytes,
  logIdentityKeyEnv,
  withDevLogIdentityKey,
} from '@webchat/config';
import { callerPublicKeysEnv, readCallerPublicKeys, readServicePrivateKey, servicePrivateKeyEnv, withDevServiceKeys } from '@webchat/service-auth';

export const FederatedAuthEnv = z.object({
  HOST: z.string().min(1).default('127.0.0.1').describe('Interface to bind; 0.0.0.0 in a container'),
  PORT: envPort(4100),
  LOG_LEVEL: envLogLevel,
  SCOPED_AUTH_URL: envUrl('http://127.0.0.1:4200').describe('Base URL of scoped-auth'),
  SCOPED_AUTH_TIMEOUT_MS: envInt(2000, { min: 50, max: 30_000 }).describe('Deadline of one call to scoped-auth; beyond it, 504'),
  TOKEN_TTL_SECONDS: envInt(3600, { min: TTL_MIN, max: TTL_MAX }).describe('Token lifetime when the caller gives no ttl'),
  SERVICE_AUTH_PRIVATE_KEY: servicePrivateKeyEnv,
  SERVICE_AUTH_PUBLIC_KEYS_DIR: callerPublicKeysEnv,
  LOG_IDENTITY_KEY: logIdentityKeyEnv,
});

export const SECRET_VARIABLES = ['SERVICE_AUTH_PRIVATE_KEY', 'LOG_IDENTITY_KEY'] as const;

export interface FederatedAuthConfig {
  host: string;
  port: number;
  logLevel: string;
  /** LOG_IDENTITY_KEY, decoded: identities are logged as a keyed hash under it. */
  logIdentityKey: Buffer;
  contractViolations: 'fail' | 'report';
  defaultTokenTtlSeconds: number;
  scopedAuth: { url: string; timeoutMs: number };
  serviceAuth: { privateKey: KeyObject; publicKeys: Record<string, KeyObject> };
}

export interface LoadOptions {
  devSecretsDir?: string;
}

export function loadFederatedAuthConfig(env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): FederatedAuthConfig {
  const source = isProductionEnv(env)
    ? env
    : withDevLogIdentityKey(
        withDevServiceKeys(env, 'federated-auth', { privateKey: true, publicKeys: true }, options.devSecretsDir && path.join(options.devSecretsDir, 'service-keys')),
        options.devSecretsDir ?? defaultDevSecretsDir(),
      );
  const raw = loadConfig(FederatedAuthEnv, source, { secrets: SECRET_VARIABLES });
  const problems: string[] = [];
  const privateKey = readServicePrivateKey(problems, raw.SERVICE_AUTH_PRIVATE_KEY);
  const publicKeys = readCallerPublicKeys(problems, raw.SERVICE_AUTH_PUBLIC_KEYS_DIR, serviceCallersOf(federatedAuthRoutes));
  if (problems.length > 0 || !privateKey || !publicKeys) throw new ConfigError(problems);
  return {
    host: raw.HOST,
    port: raw.PORT,
    logLevel: raw.LOG_LEVEL,
    logIdentityKey: logIdentityKeyBytes(raw.LOG_IDENTITY_KEY),
    contractViolations: contractViolationsFor(env),
    defaultTokenTtlSeconds: raw.TOKEN_TTL_SECONDS,
    scopedAuth: { url: raw.SCOPED_AUTH_URL, timeoutMs: raw.SCOPED_AUTH_TIMEOUT_MS },
    serviceAuth: { privateKey, publicKeys },
  };
}
