import { createSecretKey, randomBytes } from 'node:crypto';
import { JweEncrypter } from '@webchat/scoped-auth/src/domain/jwe';
import type { EncryptionKeyMaterial } from '@webchat/scoped-auth/src/domain/key-material';
import { decrypt, encrypt, flipChar, unb64json } from '@webchat/test-harness';

const material = (kid = 'enc-1'): EncryptionKeyMaterial => ({ kid, secret: randomBytes(32) });
const encrypterFor = (key: EncryptionKeyMaterial) => new JweEncrypter(key.kid, createSecretKey(key.secret));
const JWS = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJndWVzdCJ9.c2lnbmF0dXJl';

describe('the mint path encrypts with node:crypto and node-jose reads what it writes', () => {
  test('when a token is encrypted, then node-jose decrypts it with the same key to the same JWS', async () => {
    const key = material();
    const token = encrypterFor(key).encrypt(JWS);
    await expect(decrypt(token, key)).resolves.toBe(JWS);
  });

  test('when a token is encrypted, then it is compact dir/A256GCM with a 96-bit IV, a 128-bit tag and no encrypted key', () => {
    const token = encrypterFor(material('enc-7')).encrypt(JWS);
    const [header, encryptedKey, iv, ciphertext, tag] = token.split('.');
    expect(token.split('.')).toHaveLength(5);
    expect(unb64json(header!)).toEqual({ alg: 'dir', enc: 'A256GCM', kid: 'enc-7', cty: 'JWT' });
    expect(encryptedKey).toBe('');
    expect(Buffer.from(iv!, 'base64url')).toHaveLength(12);
    expect(Buffer.from(tag!, 'base64url')).toHaveLength(16);
    expect(Buffer.from(ciphertext!, 'base64url')).toHaveLength(JWS.length);
  });

  test('when the same JWS is encrypted twice, then the IVs and ciphertexts differ (GCM never reuses a nonce)', () => {
    const encrypter = encrypterFor(material());
    const tokens = Array.from({ length: 50 }, () => encrypter.encrypt(JWS));
    expect(new Set(tokens.map((t) => t.split('.')[2])).size).toBe(50);
    expect(new Set(tokens.map((t) => t.split('.')[3])).size).toBe(50);
  });

  test.each([
    ['the protected header (the AAD)', 0],
    ['the IV', 2],
    ['the ciphertext', 3],
    ['the tag', 4],
  ])('when %s is altered, then node-jose refuses to decrypt it', async (_what, index) => {
    const key = material();
    const parts = encrypterFor(key).encrypt(JWS).split('.');
    parts[index] = index === 0 ? Buffer.from(JSON.stringify({ alg: 'dir', enc: 'A256GCM', kid: 'enc-1', cty: 'jwt' })).toString('base64url') : flipChar(parts[index]!, 1);
    await expect(decrypt(parts.join('.'), key)).rejects.toThrow();
  });

  test('when node-jose encrypts under the key, then our output has the same header and both decrypt alike', async () => {
    const key = material();
    const theirs = await encrypt(JWS, key);
    const ours = encrypterFor(key).encrypt(JWS);
    expect(unb64json(ours.split('.')[0]!)).toEqual(unb64json(theirs.split('.')[0]!));
    await expect(decrypt(theirs, key)).resolves.toBe(await decrypt(ours, key));
  });

  test('when another key decrypts it, then node-jose refuses', async () => {
    const token = encrypterFor(material()).encrypt(JWS);
    await expect(decrypt(token, material())).rejects.toThrow();
  });

  test('when the key is not a 32-byte secret, then the encrypter is not built', () => {
    expect(() => new JweEncrypter('enc-1', createSecretKey(randomBytes(16)))).toThrow('must be a 32-byte secret');
  });
});
