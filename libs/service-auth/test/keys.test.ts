import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ensureDevServiceKeys,
  generateServiceKeyPair,
  loadPublicKeys,
  parsePrivateKey,
  privateKeyFile,
  publicKeyFile,
  SERVICE_NAMES,
  ServiceTokenSigner,
  ServiceTokenVerifier,
} from '../src';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'service-keys-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A pair matches when a token signed with the private key verifies with the public one. */
const pairMatches = (keysDir: string, service: string) => {
  const signer = new ServiceTokenSigner({ issuer: service, privateKey: parsePrivateKey(fs.readFileSync(privateKeyFile(keysDir, service), 'utf8')) });
  const verifier = new ServiceTokenVerifier({ audience: 'callee', publicKeys: loadPublicKeys(keysDir) });
  return verifier.verify(signer.tokenFor('callee')).iss === service;
};

describe('ensureDevServiceKeys', () => {
  it('makes one matching pair per service, the private key readable by its owner only', () => {
    ensureDevServiceKeys(dir);
    for (const service of SERVICE_NAMES) {
      expect(fs.statSync(privateKeyFile(dir, service)).mode & 0o777).toBe(0o600);
      expect(pairMatches(dir, service)).toBe(true);
    }
    expect(Object.keys(loadPublicKeys(dir)).sort()).toEqual([...SERVICE_NAMES].sort());
  });

  it('keeps existing keys on the next start', () => {
    ensureDevServiceKeys(dir);
    const before = SERVICE_NAMES.map((s) => fs.readFileSync(privateKeyFile(dir, s), 'utf8'));
    ensureDevServiceKeys(dir);
    expect(SERVICE_NAMES.map((s) => fs.readFileSync(privateKeyFile(dir, s), 'utf8'))).toEqual(before);
  });

  it('when only the private key exists (another service is half-way through), then it is kept and the public key matches it', () => {
    fs.mkdirSync(dir, { recursive: true });
    const existing = generateServiceKeyPair().privateKeyPem;
    fs.writeFileSync(privateKeyFile(dir, 'orchestrator'), existing, { mode: 0o600 });
    ensureDevServiceKeys(dir);
    expect(fs.readFileSync(privateKeyFile(dir, 'orchestrator'), 'utf8')).toBe(existing);
    expect(pairMatches(dir, 'orchestrator')).toBe(true);
  });

  it('when a public key does not match its private key (an earlier race), then it is repaired', () => {
    ensureDevServiceKeys(dir);
    fs.writeFileSync(publicKeyFile(dir, 'scoped-auth'), generateServiceKeyPair().publicKeyPem);
    expect(() => pairMatches(dir, 'scoped-auth')).toThrow();
    ensureDevServiceKeys(dir);
    expect(pairMatches(dir, 'scoped-auth')).toBe(true);
  });
});

describe('parsePrivateKey and loadPublicKeys', () => {
  it('accepts an EC P-256 key and refuses others', () => {
    expect(parsePrivateKey(generateServiceKeyPair().privateKeyPem).asymmetricKeyType).toBe('ec');
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => parsePrivateKey(rsa)).toThrow(/P-256/);
    const p384 = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => parsePrivateKey(p384)).toThrow(/P-256/);
  });

  it('loads only the services whose public key file exists, and only those asked for', () => {
    fs.writeFileSync(publicKeyFile(dir, 'orchestrator'), generateServiceKeyPair().publicKeyPem);
    expect(Object.keys(loadPublicKeys(dir))).toEqual(['orchestrator']);
    expect(loadPublicKeys(dir, ['federated-auth'])).toEqual({});
  });
});
