import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ensureDevSecret } from './dev-secrets';
import { isProductionEnv } from './load';

/**
 * LOG_IDENTITY_KEY: the HMAC key guest identities are logged under. One value for every service that logs
 * identities, so one guest's lines correlate across them; without it nobody can hash a guessed identity
 * (or a customer's user id it was derived from) and find that guest's lines.
 */
export const logIdentityKeyEnv = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 random bytes, base64url (43 characters)')
  .describe(
    "HMAC key guest identities are logged under (`id_` + 48 bits: one guest's lines correlate, a guessed identity cannot be looked up). The same value in the orchestrator, federated-auth and scoped-auth. Secret; generated in development",
  );

/** The development LOG_IDENTITY_KEY, made once in the git-ignored dev-secrets folder and shared by every service. */
export const devLogIdentityKey = (devDir: string): string => ensureDevSecret(devDir, 'log-identity-key', () => randomBytes(32).toString('base64url')).trim();

/** Outside production an unset LOG_IDENTITY_KEY is the one dev key every service shares. */
export const withDevLogIdentityKey = (env: NodeJS.ProcessEnv, devDir: string): NodeJS.ProcessEnv =>
  isProductionEnv(env) || env.LOG_IDENTITY_KEY ? env : { ...env, LOG_IDENTITY_KEY: devLogIdentityKey(devDir) };

export const logIdentityKeyBytes = (value: string): Buffer => Buffer.from(value, 'base64url');
