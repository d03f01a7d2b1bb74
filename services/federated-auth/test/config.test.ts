import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '@webchat/config';
import { generateServiceKeyPair, publicKeyFile } from '@webchat/service-auth';
import { loadFederatedAuthConfig } from '../src/config';

/** LOG_IDENTITY_KEY: required in production like the keys (32 bytes, base64url). */
const LOG_IDENTITY_KEY = 'l'.repeat(43);

describe('federated-auth configuration', () => {
  let tmp: string;
  let publicKeysDir: string;
  let privateKeyPath: string;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'federated-auth-config-'));
    publicKeysDir = path.join(tmp, 'public');
    fs.mkdirSync(publicKeysDir);
    fs.writeFileSync(publicKeyFile(publicKeysDir, 'orchestrator'), generateServiceKeyPair().publicKeyPem);
    privateKeyPath = path.join(tmp, 'federated-auth.key.pem');
    fs.writeFileSync(privateKeyPath, generateServiceKeyPair().privateKeyPem);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
    try {
      loadFederatedAuthConfig(env, { devSecretsDir: path.join(tmp, 'never') });
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    throw new Error('expected a ConfigError');
  };

  test('when nothing is set in development, then defaults apply and service keys are generated once', () => {
    const devDir = path.join(tmp, 'dev');
    const config = loadFederatedAuthConfig({}, { devSecretsDir: devDir });
    expect(config).toMatchObject({ port: 4100, host: '127.0.0.1', defaultTokenTtlSeconds: 3600, scopedAuth: { url: 'http://127.0.0.1:4200', timeoutMs: 2000 } });
    expect(fs.existsSync(path.join(devDir, 'service-keys', 'federated-auth.key.pem'))).toBe(true);
    expect(Object.keys(config.serviceAuth.publicKeys)).toEqual(['orchestrator']);
    const again = loadFederatedAuthConfig({}, { devSecretsDir: devDir });
    const der = (k: crypto.KeyObject) => crypto.createPublicKey(k).export({ type: 'spki', format: 'der' }).toString('hex');
    expect(der(again.serviceAuth.privateKey)).toBe(der(config.serviceAuth.privateKey));
  });

  test('when the service key is missing in production, then start is refused naming the variables', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems.join('\n')).toMatch(/SERVICE_AUTH_PRIVATE_KEY: required in production/);
    expect(problems.join('\n')).toMatch(/SERVICE_AUTH_PUBLIC_KEYS_DIR: required/);
    expect(problems.join('\n')).toMatch(/LOG_IDENTITY_KEY: required in production/);
    expect(fs.existsSync(path.join(tmp, 'never'))).toBe(false);
  });

  test('when everything is given in production (key as @file), then it loads', () => {
    const config = loadFederatedAuthConfig({
      NODE_ENV: 'production',
      LOG_IDENTITY_KEY,
      PORT: '8100',
      SCOPED_AUTH_URL: 'http://scoped-auth:4200',
      SCOPED_AUTH_TIMEOUT_MS: '750',
      TOKEN_TTL_SECONDS: '1800',
      SERVICE_AUTH_PRIVATE_KEY: `@${privateKeyPath}`,
      SERVICE_AUTH_PUBLIC_KEYS_DIR: publicKeysDir,
    });
    expect(config).toMatchObject({ port: 8100, defaultTokenTtlSeconds: 1800, scopedAuth: { url: 'http://scoped-auth:4200', timeoutMs: 750 } });
  });

  test('when values are wrong, then every problem is listed at once', () => {
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const problems = problemsOf({
      NODE_ENV: 'production',
      LOG_IDENTITY_KEY,
      SCOPED_AUTH_URL: 'not a url',
      TOKEN_TTL_SECONDS: '10',
      SCOPED_AUTH_TIMEOUT_MS: 'soon',
      SERVICE_AUTH_PRIVATE_KEY: rsa,
      SERVICE_AUTH_PUBLIC_KEYS_DIR: publicKeysDir,
    });
    expect(problems.map((p) => p.split(':')[0])).toEqual(expect.arrayContaining(['SCOPED_AUTH_URL', 'TOKEN_TTL_SECONDS', 'SCOPED_AUTH_TIMEOUT_MS']));

    const keyProblems = problemsOf({ NODE_ENV: 'production', LOG_IDENTITY_KEY, SERVICE_AUTH_PRIVATE_KEY: rsa, SERVICE_AUTH_PUBLIC_KEYS_DIR: path.join(tmp, 'empty') });
    expect(keyProblems).toEqual([
      expect.stringMatching(/^SERVICE_AUTH_PRIVATE_KEY: .*P-256/),
      expect.stringMatching(/^SERVICE_AUTH_PUBLIC_KEYS_DIR: no public key for orchestrator.pub.pem/),
    ]);
    expect(keyProblems.join('\n')).not.toMatch(/BEGIN/);
  });
});
