import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '@webchat/config';
import { generateServiceKeyPair, publicKeyFile } from '@webchat/service-auth';
import { loadScopedAuthConfig } from '../src/config';
import { createTokenKeys } from '../src/domain/keys';

/** LOG_IDENTITY_KEY: required in production like the keys (32 bytes, base64url). */
const LOG_IDENTITY_KEY = 'l'.repeat(43);

const pem = () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const secret = () => crypto.randomBytes(32).toString('base64url');

describe('scoped-auth configuration', () => {
  let tmp: string;
  let publicKeysDir: string;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scoped-auth-config-'));
    publicKeysDir = path.join(tmp, 'service-public-keys');
    fs.mkdirSync(publicKeysDir);
    for (const service of ['federated-auth', 'orchestrator']) fs.writeFileSync(publicKeyFile(publicKeysDir, service), generateServiceKeyPair().publicKeyPem);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const problemsOf = (load: () => unknown): string[] => {
    try {
      load();
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    throw new Error('expected a ConfigError');
  };

  test('when nothing is set in development, then keys are generated once into the dev-secrets folder', async () => {
    const devDir = path.join(tmp, 'dev');
    const first = loadScopedAuthConfig({}, { devSecretsDir: devDir });
    expect(first.port).toBe(4200);
    expect(first.keys.activeSigningKid).toBe('dev-1');
    expect(fs.existsSync(path.join(devDir, 'scoped-auth', 'signing', 'dev-1.pem'))).toBe(true);
    expect(fs.existsSync(path.join(devDir, 'scoped-auth', 'encryption', 'dev-1.key'))).toBe(true);
    expect(fs.statSync(path.join(devDir, 'scoped-auth', 'signing', 'dev-1.pem')).mode & 0o077).toBe(0);
    expect(Object.keys(first.serviceAuth.publicKeys).sort()).toEqual(['federated-auth', 'orchestrator']);

    const second = loadScopedAuthConfig({ NODE_ENV: 'development' }, { devSecretsDir: devDir });
    const spki = (k: crypto.KeyObject) => k.export({ type: 'spki', format: 'der' }).toString('hex');
    expect(spki(second.keys.signing[0]!.publicKey)).toBe(spki(first.keys.signing[0]!.publicKey));
    expect(second.keys.encryption[0]!.secret.equals(first.keys.encryption[0]!.secret)).toBe(true);
    await expect(createTokenKeys(second.keys)).resolves.toBeDefined();
  });

  test('when a key is missing in production, then start is refused naming each variable and nothing is generated', () => {
    const devDir = path.join(tmp, 'prod-dev');
    const problems = problemsOf(() => loadScopedAuthConfig({ NODE_ENV: 'production' }, { devSecretsDir: devDir }));
    expect(problems.join('\n')).toMatch(/TOKEN_SIGNING_KEYS: required in production/);
    expect(problems.join('\n')).toMatch(/TOKEN_ENCRYPTION_KEYS: required in production/);
    expect(problems.join('\n')).toMatch(/SERVICE_AUTH_PUBLIC_KEYS_DIR: required/);
    expect(problems.join('\n')).toMatch(/LOG_IDENTITY_KEY: required in production/);
    expect(fs.existsSync(devDir)).toBe(false);
  });

  test('when keys are inline JSON (values inline or @file) with active kids, then every key is loaded', async () => {
    const file = path.join(tmp, 'sig-old.pem');
    fs.writeFileSync(file, pem());
    const config = loadScopedAuthConfig({
      NODE_ENV: 'production',
      LOG_IDENTITY_KEY,
      PORT: '9999',
      TOKEN_ISSUER: 'urn:test:iss',
      TOKEN_SIGNING_KEYS: JSON.stringify({ 'sig-old': `@${file}`, 'sig-new': pem() }),
      TOKEN_SIGNING_ACTIVE_KID: 'sig-new',
      TOKEN_ENCRYPTION_KEYS: JSON.stringify({ 'enc-old': secret(), 'enc-new': secret() }),
      TOKEN_ENCRYPTION_ACTIVE_KID: 'enc-old',
      SERVICE_AUTH_PUBLIC_KEYS_DIR: publicKeysDir,
    });
    expect(config).toMatchObject({ port: 9999, token: { issuer: 'urn:test:iss', audience: 'urn:webchat:guest' } });
    expect(config.keys.signing.map((k) => k.kid).sort()).toEqual(['sig-new', 'sig-old']);
    const keys = await createTokenKeys(config.keys);
    expect(keys.signing.kid).toBe('sig-new');
    expect(keys.encryption.kid).toBe('enc-old');
    expect([...keys.verification.keys()].sort()).toEqual(['sig-new', 'sig-old']);
  });

  test('when keys are directories (a mounted Kubernetes Secret), then each visible file is a key named by its kid', () => {
    const signingDir = path.join(tmp, 'signing-secret');
    const encryptionDir = path.join(tmp, 'encryption-secret');
    fs.mkdirSync(path.join(signingDir, '..2025_01_01'), { recursive: true });
    fs.mkdirSync(encryptionDir);
    fs.writeFileSync(path.join(signingDir, 'k1.pem'), pem());
    // a retired key kept as its public half only: verify-only
    fs.writeFileSync(path.join(signingDir, 'k0.pem'), crypto.createPublicKey(pem()).export({ type: 'spki', format: 'pem' }).toString());
    fs.writeFileSync(path.join(signingDir, '..data'), 'not a key');
    fs.writeFileSync(path.join(encryptionDir, 'e1.key'), `${secret()}\n`);
    const config = loadScopedAuthConfig({
      NODE_ENV: 'production',
      LOG_IDENTITY_KEY,
      TOKEN_SIGNING_KEYS: signingDir,
      TOKEN_ENCRYPTION_KEYS: `@${encryptionDir}`,
      SERVICE_AUTH_PUBLIC_KEYS_DIR: publicKeysDir,
    });
    expect(config.keys.signing.map((k) => [k.kid, k.privateKey !== undefined])).toEqual([
      ['k0', false],
      ['k1', true],
    ]);
    // k1 is the only key that can sign, so it is active without being named
    expect(config.keys.activeSigningKid).toBe('k1');
    expect(config.keys.activeEncryptionKid).toBe('e1');
  });

  test('when keys are malformed or the active kid is ambiguous, then every problem is listed with its variable', () => {
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const problems = problemsOf(() =>
      loadScopedAuthConfig({
        NODE_ENV: 'production',
        LOG_IDENTITY_KEY,
        TOKEN_SIGNING_KEYS: JSON.stringify({ a: pem(), b: pem() }),
        TOKEN_ENCRYPTION_KEYS: JSON.stringify({ short: Buffer.alloc(16).toString('base64url') }),
        SERVICE_AUTH_PUBLIC_KEYS_DIR: publicKeysDir,
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^TOKEN_SIGNING_ACTIVE_KID: required when 2 signing keys with a private key are configured \(a, b\)/), expect.stringMatching(/^TOKEN_ENCRYPTION_KEYS: key "short" must be 32 bytes/)]),
    );

    const more = problemsOf(() =>
      loadScopedAuthConfig({
        NODE_ENV: 'production',
        LOG_IDENTITY_KEY,
        TOKEN_SIGNING_KEYS: JSON.stringify({ rsa }),
        TOKEN_ENCRYPTION_KEYS: '{not json',
        SERVICE_AUTH_PUBLIC_KEYS_DIR: path.join(tmp, 'nowhere'),
      }),
    );
    expect(more).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^TOKEN_SIGNING_KEYS: key "rsa" must be an EC P-256 key/),
        expect.stringMatching(/^TOKEN_ENCRYPTION_KEYS: is not valid JSON/),
        expect.stringMatching(/^SERVICE_AUTH_PUBLIC_KEYS_DIR: no public key for federated-auth.pub.pem, orchestrator.pub.pem/),
      ]),
    );
    // No problem line ever echoes key material.
    expect(more.join('\n')).not.toMatch(/BEGIN|PRIVATE/);
  });

  test('when the active kid names a missing or verify-only key, then start is refused', () => {
    const problems = problemsOf(() =>
      loadScopedAuthConfig({
        NODE_ENV: 'production',
        LOG_IDENTITY_KEY,
        TOKEN_SIGNING_KEYS: JSON.stringify({ old: crypto.createPublicKey(pem()).export({ type: 'spki', format: 'pem' }).toString(), cur: pem() }),
        TOKEN_SIGNING_ACTIVE_KID: 'old',
        TOKEN_ENCRYPTION_KEYS: JSON.stringify({ e: secret() }),
        TOKEN_ENCRYPTION_ACTIVE_KID: 'e2',
        SERVICE_AUTH_PUBLIC_KEYS_DIR: publicKeysDir,
      }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^TOKEN_SIGNING_ACTIVE_KID: "old" is not among the configured signing keys with a private key \(cur\)/),
      expect.stringMatching(/^TOKEN_ENCRYPTION_ACTIVE_KID: "e2" is not among the configured encryption keys \(e\)/),
    ]);
  });
});
