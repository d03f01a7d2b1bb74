import type { KeyObject } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import {
  ConfigError,
  collect,
  contractViolationsFor,
  defaultDevSecretsDir,
  ensureDevSecret,
  envInt,
  envLogLevel,
  envPort,
  isProductionEnv,
  loadConfig,
  logIdentityKeyBytes,
  logIdentityKeyEnv,
  withDevLogIdentityKey,
} from '@webchat/config';
import { scopedAuthRoutes, serviceCallersOf } from '@webchat/contracts';
import { callerPublicKeysEnv, readCallerPublicKeys, withDevServiceKeys } from '@webchat/service-auth';
import {
  KID_PATTERN,
  generateEncryptionSecret,
  generateSigningKeyPem,
  parseEncryptionKey,
  parseSigningKey,
  pickActiveKid,
  readKeyEntries,
  type TokenKeyMaterial,
} from './domain/key-material';
import type { TokenSettings } from './domain/token-service';

const KEY_SOURCE =
  'Inline JSON {"<kid>": "<value>"} (each value inline or @/path/file), @/path/keys.json, or a directory ' +
  '(e.g. a mounted Kubernetes Secret) whose visible files are the keys, named <kid>.pem / <kid>.key.';

export const ScopedAuthEnv = z.object({
  HOST: z.string().min(1).default('127.0.0.1').describe('Interface to bind; 0.0.0.0 in a container'),
  PORT: envPort(4200),
  LOG_LEVEL: envLogLevel,
  TOKEN_ISSUER: z.string().min(1).default('urn:webchat:scoped-auth').describe('`iss` of minted tokens, checked on validate'),
  TOKEN_AUDIENCE: z.string().min(1).default('urn:webchat:guest').describe('`aud` of minted tokens, checked on validate'),
  TOKEN_CLOCK_TOLERANCE_SECONDS: envInt(5, { max: 60 }).describe('Leeway for exp/nbf between pods'),
  TOKEN_SIGNING_KEYS: z
    .string()
    .optional()
    .describe(`ES256 signing keys (EC P-256 PEM; a public-key PEM keeps a retired key verify-only). ${KEY_SOURCE} Secret.`),
  TOKEN_SIGNING_ACTIVE_KID: z.string().regex(KID_PATTERN).optional().describe('The kid new tokens are signed with; required with several keys'),
  TOKEN_ENCRYPTION_KEYS: z
    .string()
    .optional()
    .describe(`A256GCM content keys for the JWE (alg dir): 32 random bytes, base64url. ${KEY_SOURCE} Secret.`),
  TOKEN_ENCRYPTION_ACTIVE_KID: z.string().regex(KID_PATTERN).optional().describe('The kid new tokens are encrypted with; required with several keys'),
  SERVICE_AUTH_PUBLIC_KEYS_DIR: callerPublicKeysEnv,
  LOG_IDENTITY_KEY: logIdentityKeyEnv,
});

export const SECRET_VARIABLES = ['TOKEN_SIGNING_KEYS', 'TOKEN_ENCRYPTION_KEYS', 'LOG_IDENTITY_KEY'] as const;
/** Callers whose service-token public keys must be present, or every call would be refused. */
const CALLERS = serviceCallersOf(scopedAuthRoutes);

export interface ScopedAuthConfig {
  host: string;
  port: number;
  logLevel: string;
  /** LOG_IDENTITY_KEY, decoded: identities are logged as a keyed hash under it. */
  logIdentityKey: Buffer;
  contractViolations: 'fail' | 'report';
  token: TokenSettings;
  keys: TokenKeyMaterial;
  serviceAuth: { publicKeys: Record<string, KeyObject> };
}

export interface LoadOptions {
  /** Where development keys are made (default `<repo>/.dev-secrets`). */
  devSecretsDir?: string;
}

/** Development only: keys generated once into the git-ignored folder, so `pnpm start` just works. */
function withDevDefaults(env: NodeJS.ProcessEnv, devDir: string): NodeJS.ProcessEnv {
  const filled = { ...env };
  const own = path.join(devDir, 'scoped-auth');
  if (!filled.TOKEN_SIGNING_KEYS) {
    ensureDevSecret(own, 'signing/dev-1.pem', generateSigningKeyPem);
    filled.TOKEN_SIGNING_KEYS = path.join(own, 'signing');
  }
  if (!filled.TOKEN_ENCRYPTION_KEYS) {
    ensureDevSecret(own, 'encryption/dev-1.key', generateEncryptionSecret);
    filled.TOKEN_ENCRYPTION_KEYS = path.join(own, 'encryption');
  }
  return withDevLogIdentityKey(withDevServiceKeys(filled, 'scoped-auth', { publicKeys: true }, path.join(devDir, 'service-keys')), devDir);
}

export function loadScopedAuthConfig(env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): ScopedAuthConfig {
  const source = isProductionEnv(env) ? env : withDevDefaults(env, options.devSecretsDir ?? defaultDevSecretsDir());
  const raw = loadConfig(ScopedAuthEnv, source, { secrets: SECRET_VARIABLES });

  const problems: string[] = [];
  const signing = collect(problems, 'TOKEN_SIGNING_KEYS', () =>
    [...readKeyEntries(raw.TOKEN_SIGNING_KEYS ?? '')].map(([kid, pem]) => parseSigningKey(kid, pem)),
  );
  const encryption = collect(problems, 'TOKEN_ENCRYPTION_KEYS', () =>
    [...readKeyEntries(raw.TOKEN_ENCRYPTION_KEYS ?? '')].map(([kid, value]) => parseEncryptionKey(kid, value)),
  );
  const activeSigningKid =
    signing &&
    // Only a key with its private half can be active; a public-only key is kept for validation.
    collect(problems, 'TOKEN_SIGNING_ACTIVE_KID', () => pickActiveKid(signing.filter((k) => k.privateKey).map((k) => k.kid), raw.TOKEN_SIGNING_ACTIVE_KID, 'signing keys with a private key'));
  const activeEncryptionKid =
    encryption &&
    collect(problems, 'TOKEN_ENCRYPTION_ACTIVE_KID', () =>
      pickActiveKid(encryption.map((k) => k.kid), raw.TOKEN_ENCRYPTION_ACTIVE_KID, 'encryption keys'),
    );
  const publicKeys = readCallerPublicKeys(problems, raw.SERVICE_AUTH_PUBLIC_KEYS_DIR, CALLERS);
  if (problems.length > 0 || !signing || !encryption || !activeSigningKid || !activeEncryptionKid || !publicKeys) {
    throw new ConfigError(problems);
  }
  return {
    host: raw.HOST,
    port: raw.PORT,
    logLevel: raw.LOG_LEVEL,
    logIdentityKey: logIdentityKeyBytes(raw.LOG_IDENTITY_KEY),
    contractViolations: contractViolationsFor(env),
    token: { issuer: raw.TOKEN_ISSUER, audience: raw.TOKEN_AUDIENCE, clockToleranceSeconds: raw.TOKEN_CLOCK_TOLERANCE_SECONDS },
    keys: { signing, activeSigningKid, encryption, activeEncryptionKid },
    serviceAuth: { publicKeys },
  };
}
