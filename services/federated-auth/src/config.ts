import type { KeyObject } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { TTL_MAX, TTL_MIN } from '@webchat/contracts';
import { ConfigError, defaultDevSecretsDir, envInt, envLogLevel, envPort, envUrl, isProductionEnv, loadConfig, readSecretValue } from '@webchat/config';
import { ensureDevServiceKeys, loadPublicKeys, parsePrivateKey, privateKeyFile } from '@webchat/service-auth';
import { TOKEN_CALLERS } from './routes/tokens';

export const FederatedAuthEnv = z.object({
  HOST: z.string().min(1).default('127.0.0.1').describe('Interface to bind; 0.0.0.0 in a container'),
  PORT: envPort(4100),
  LOG_LEVEL: envLogLevel,
  SCOPED_AUTH_URL: envUrl('http://127.0.0.1:4200').describe('Base URL of scoped-auth'),
  SCOPED_AUTH_TIMEOUT_MS: envInt(2000, { min: 50, max: 30_000 }).describe('Deadline of one call to scoped-auth; beyond it, 504'),
  TOKEN_TTL_SECONDS: envInt(3600, { min: TTL_MIN, max: TTL_MAX }).describe('Token lifetime when the caller gives no ttl'),
  SERVICE_AUTH_PRIVATE_KEY: z
    .string()
    .optional()
    .describe("This service's ES256 private key for service tokens to scoped-auth (PEM, or @/path/to/file). Secret."),
  SERVICE_AUTH_PUBLIC_KEYS_DIR: z
    .string({ error: "required: a directory of <service>.pub.pem files (the callers' service-token keys)" })
    .min(1)
    .describe("Directory of the callers' <service>.pub.pem (a mounted ConfigMap)"),
});

export const SECRET_VARIABLES = ['SERVICE_AUTH_PRIVATE_KEY'] as const;

export interface FederatedAuthConfig {
  host: string;
  port: number;
  logLevel: string;
  defaultTokenTtlSeconds: number;
  scopedAuth: { url: string; timeoutMs: number };
  serviceAuth: { privateKey: KeyObject; publicKeys: Record<string, KeyObject> };
}

export interface LoadOptions {
  devSecretsDir?: string;
}

function withDevDefaults(env: NodeJS.ProcessEnv, devDir: string): NodeJS.ProcessEnv {
  const filled = { ...env };
  const serviceKeys = path.join(devDir, 'service-keys');
  if (!filled.SERVICE_AUTH_PRIVATE_KEY || !filled.SERVICE_AUTH_PUBLIC_KEYS_DIR) ensureDevServiceKeys(serviceKeys);
  filled.SERVICE_AUTH_PRIVATE_KEY ||= `@${privateKeyFile(serviceKeys, 'federated-auth')}`;
  filled.SERVICE_AUTH_PUBLIC_KEYS_DIR ||= serviceKeys;
  return filled;
}

function collect<T>(problems: string[], variable: string, read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    problems.push(`${variable}: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

export function loadFederatedAuthConfig(env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): FederatedAuthConfig {
  const source = isProductionEnv(env) ? env : withDevDefaults(env, options.devSecretsDir ?? defaultDevSecretsDir());
  const raw = loadConfig(FederatedAuthEnv, source, { secrets: SECRET_VARIABLES });
  const problems: string[] = [];
  const privateKey = collect(problems, 'SERVICE_AUTH_PRIVATE_KEY', () => parsePrivateKey(readSecretValue(raw.SERVICE_AUTH_PRIVATE_KEY ?? '')));
  const publicKeys = collect(problems, 'SERVICE_AUTH_PUBLIC_KEYS_DIR', () => {
    const keys = loadPublicKeys(raw.SERVICE_AUTH_PUBLIC_KEYS_DIR, TOKEN_CALLERS);
    const missing = TOKEN_CALLERS.filter((caller) => !keys[caller]);
    if (missing.length > 0) throw new Error(`no public key for ${missing.map((m) => `${m}.pub.pem`).join(', ')} in ${raw.SERVICE_AUTH_PUBLIC_KEYS_DIR}`);
    return keys;
  });
  if (problems.length > 0 || !privateKey || !publicKeys) throw new ConfigError(problems);
  return {
    host: raw.HOST,
    port: raw.PORT,
    logLevel: raw.LOG_LEVEL,
    defaultTokenTtlSeconds: raw.TOKEN_TTL_SECONDS,
    scopedAuth: { url: raw.SCOPED_AUTH_URL, timeoutMs: raw.SCOPED_AUTH_TIMEOUT_MS },
    serviceAuth: { privateKey, publicKeys },
  };
}
