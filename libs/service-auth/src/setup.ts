import type { KeyObject } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { collect, defaultDevSecretsDir, readSecretValue } from '@webchat/config';
import { ensureDevServiceKeys, loadPublicKeys, parsePrivateKey, privateKeyFile } from './keys';

/** The service-auth variables, shared by every service's config schema. */
export const servicePrivateKeyEnv = z
  .string()
  .min(1)
  .describe("This service's ES256 private key for its service tokens (PEM, or @/path/to/file). Secret.");
export const callerPublicKeysEnv = z
  .string()
  .min(1)
  .describe("Folder of the callers' <service>.pub.pem files (a mounted ConfigMap)");

export const devServiceKeysDir = () => path.join(defaultDevSecretsDir(), 'service-keys');

/**
 * Development only: what the environment leaves unset is filled with the key pairs generated once into
 * the git-ignored dev-secrets folder, shared by the local services. Production never calls this, so
 * there a missing variable is reported by name.
 */
export function withDevServiceKeys(
  env: NodeJS.ProcessEnv,
  service: string,
  needs: { privateKey?: boolean; publicKeys?: boolean },
  devDir = devServiceKeysDir(),
): NodeJS.ProcessEnv {
  const filled = { ...env };
  const needPrivate = needs.privateKey && !filled.SERVICE_AUTH_PRIVATE_KEY;
  const needPublic = needs.publicKeys && !filled.SERVICE_AUTH_PUBLIC_KEYS_DIR;
  if (!needPrivate && !needPublic) return filled;
  ensureDevServiceKeys(devDir);
  if (needPrivate) filled.SERVICE_AUTH_PRIVATE_KEY = `@${privateKeyFile(devDir, service)}`;
  if (needPublic) filled.SERVICE_AUTH_PUBLIC_KEYS_DIR = devDir;
  return filled;
}

/** Parses SERVICE_AUTH_PRIVATE_KEY once at start (a KeyObject, never a PEM string per call). */
export const readServicePrivateKey = (problems: string[], value: string): KeyObject | undefined =>
  collect(problems, 'SERVICE_AUTH_PRIVATE_KEY', () => parsePrivateKey(readSecretValue(value)));

/** The callers' public keys; each allowed caller must have one, or every call of it would be refused. */
export const readCallerPublicKeys = (problems: string[], dir: string, callers: readonly string[]): Record<string, KeyObject> | undefined =>
  collect(problems, 'SERVICE_AUTH_PUBLIC_KEYS_DIR', () => {
    const keys = loadPublicKeys(dir, callers);
    const missing = callers.filter((caller) => !keys[caller]);
    if (missing.length > 0) throw new Error(`no public key for ${missing.map((m) => `${m}.pub.pem`).join(', ')} in ${dir}`);
    return keys;
  });
