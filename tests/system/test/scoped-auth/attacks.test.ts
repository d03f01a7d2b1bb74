import crypto from 'node:crypto';
import jose from 'node-jose';
import { ServiceIdentities, encryptionKey, signingKey } from '@webchat/test-harness';
import { ACCOUNT_SID, captureLogs, guestClaims, nowSeconds, startScopedAuth, type ScopedAuthUnderTest } from '@webchat/test-harness';
import { b64json, decrypt, encrypt, flipChar, payloadOf, sign, unb64json } from '@webchat/test-harness';

const grants = { webchat: { role: 'guest', accountSid: ACCOUNT_SID } };

/** RFC 8725 attacks on both layers. Where a test holds a real key, it plays an insider or proves the other layer is still checked. */
describe('scoped-auth validate refuses forged and broken tokens', () => {
  const services = new ServiceIdentities();
  const sig = signingKey('sig-1');
  const enc = encryptionKey('enc-1');
  const logs = captureLogs('scoped-auth');
  let sas: ScopedAuthUnderTest;

  const claims = (overrides: Record<string, unknown> = {}) => guestClaims(ACCOUNT_SID, overrides);
  /** `reason` (from the log, never the response) proves the intended check refused it, not an earlier accident. */
  const expectRefused = async (token: string, code = 'token_invalid', reason?: RegExp) => {
    const res = await sas.validate(token);
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code });
    expect(res.body.detail).not.toMatch(/kid|alg|enc|decrypt|signature/i);
    if (reason) {
      const refused = logs.lines().map((line) => JSON.parse(line) as { message: string; reason?: string }).filter((l) => l.message === 'token refused');
      expect(refused.at(-1)?.reason).toMatch(reason);
    }
  };

  beforeAll(async () => {
    sas = await startScopedAuth({ services, logger: logs.logger, material: { signing: [sig], encryption: [enc], activeSigningKid: 'sig-1', activeEncryptionKid: 'enc-1' } });
  });
  afterAll(() => sas.close());

  test('sanity: a token the test signs and encrypts like the service does is accepted', async () => {
    const res = await sas.validate(await encrypt(sign(claims(), sig.privateKey, { kid: 'sig-1' }), enc));
    expect(res.status).toBe(200);
  });

  test('when the JWE ciphertext, tag, iv or header is tampered with, then token_invalid', async () => {
    const minted = await sas.generate({ accountSid: ACCOUNT_SID, grants });
    const parts = (minted.body.token as string).split('.');
    for (const index of [0, 2, 3, 4]) {
      const tampered = [...parts];
      // The header is re-encoded with the same fields in another order: every check passes, only the AAD differs.
      const { alg, enc: encryption, kid, cty } = unb64json(parts[0]!);
      tampered[index] = index === 0 ? b64json({ kid, cty, enc: encryption, alg }) : flipChar(parts[index]!);
      await expectRefused(tampered.join('.'), 'token_invalid', /did not decrypt/);
    }
  });

  test('when a token is a bare JWS, even one the service signed itself, then token_invalid: only the JWE form is a guest token', async () => {
    const minted = await sas.generate({ accountSid: ACCOUNT_SID, grants, encrypt: false });
    await expectRefused(minted.body.token, 'token_invalid', /unencrypted JWS/);
    const [header, , signature] = (minted.body.token as string).split('.');
    const forgedPayload = b64json({ ...payloadOf(minted.body.token), account_sid: `AC${'f'.repeat(32)}` });
    await expectRefused(`${header}.${forgedPayload}.${signature}`, 'token_invalid', /unencrypted JWS/);
  });

  test('when the session start is after the token was issued (a forged future session), then token_invalid', async () => {
    const forged = sign(claims({ sst: nowSeconds() + 3600 }), sig.privateKey, { kid: 'sig-1' });
    await expectRefused(await encrypt(forged, enc), 'token_invalid', /session start is after issue time/);
  });

  test('when the inner payload is tampered with inside a validly encrypted JWE, then token_invalid', async () => {
    const minted = await sas.generate({ accountSid: ACCOUNT_SID, grants });
    const jws = await decrypt(minted.body.token, enc);
    const [header, , signature] = jws.split('.');
    const forged = `${header}.${b64json({ ...payloadOf(jws), exp: nowSeconds() + 86_400 * 365 })}.${signature}`;
    await expectRefused(await encrypt(forged, enc), 'token_invalid', /invalid signature/);
  });

  test('when the inner token uses alg none, then token_invalid (plain and encrypted)', async () => {
    const unsigned = `${b64json({ alg: 'none', typ: 'wct+jwt', kid: 'sig-1' })}.${b64json(claims())}.`;
    await expectRefused(unsigned, 'token_invalid', /unencrypted JWS/);
    await expectRefused(await encrypt(unsigned, enc), 'token_invalid', /alg none/);
  });

  test('when the inner token is HS256 keyed with the public key (algorithm confusion), then token_invalid', async () => {
    const publicPem = sig.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const header = b64json({ alg: 'HS256', typ: 'wct+jwt', kid: 'sig-1' });
    const body = b64json(claims());
    const mac = crypto.createHmac('sha256', publicPem).update(`${header}.${body}`).digest('base64url');
    await expectRefused(await encrypt(`${header}.${body}.${mac}`, enc), 'token_invalid', /alg HS256/);
  });

  test('when the signing kid is unknown, then token_invalid', async () => {
    const stranger = signingKey('sig-9');
    await expectRefused(await encrypt(sign(claims(), stranger.privateKey, { kid: 'sig-9' }), enc), 'token_invalid', /JWS kid is not a configured key/);
    await expectRefused(await encrypt(sign(claims(), sig.privateKey, {}), enc), 'token_invalid', /JWS header has no kid/);
  });

  test('when the token is signed by a key that is not configured (under a known kid), then token_invalid', async () => {
    const impostor = signingKey('sig-1');
    await expectRefused(await encrypt(sign(claims(), impostor.privateKey, { kid: 'sig-1' }), enc), 'token_invalid', /invalid signature/);
  });

  test('when the encryption kid is unknown or the key is not ours, then token_invalid', async () => {
    const inner = sign(claims(), sig.privateKey, { kid: 'sig-1' });
    await expectRefused(await encrypt(inner, encryptionKey('enc-9')), 'token_invalid', /JWE kid is not a configured key/);
    await expectRefused(await encrypt(inner, { kid: 'enc-1', secret: crypto.randomBytes(32) }), 'token_invalid', /did not decrypt/);
  });

  test('when the token has expired, then token_expired', async () => {
    await expectRefused(await encrypt(sign(claims({ iat: nowSeconds() - 7200, nbf: nowSeconds() - 7200, exp: nowSeconds() - 60 }), sig.privateKey, { kid: 'sig-1' }), enc), 'token_expired', /exp has passed/);
  });

  test('when a token minted in the past by the service itself has expired, then token_expired', async () => {
    const past = await startScopedAuth({ services, material: sas.material, now: () => nowSeconds() - 7200 });
    try {
      const minted = await past.generate({ accountSid: ACCOUNT_SID, grants, ttl: 60 });
      await expectRefused(minted.body.token, 'token_expired', /exp has passed/);
    } finally {
      await past.close();
    }
  });

  test('when nbf is in the future, then token_invalid', async () => {
    const future = await startScopedAuth({ services, material: sas.material, now: () => nowSeconds() + 600 });
    try {
      const minted = await future.generate({ accountSid: ACCOUNT_SID, grants });
      await expectRefused(minted.body.token, 'token_invalid', /nbf is in the future/);
    } finally {
      await future.close();
    }
    await expectRefused(await encrypt(sign(claims({ nbf: nowSeconds() + 600 }), sig.privateKey, { kid: 'sig-1' }), enc), 'token_invalid', /nbf is in the future/);
  });

  test.each([
    ['audience', { audience: 'urn:webchat:someone-else' }],
    ['issuer', { issuer: 'urn:webchat:someone-else' }],
  ])('when the %s is not ours, then token_invalid', async (what, settings) => {
    const other = await startScopedAuth({ services, material: sas.material, settings });
    try {
      const minted = await other.generate({ accountSid: ACCOUNT_SID, grants });
      expect(minted.status).toBe(200);
      await expectRefused(minted.body.token, 'token_invalid', new RegExp(`jwt ${what} invalid`));
    } finally {
      await other.close();
    }
  });

  test('when the inner typ is not ours (e.g. a plain JWT or a service token), then token_invalid', async () => {
    await expectRefused(await encrypt(sign(claims(), sig.privateKey, { kid: 'sig-1', typ: 'JWT' }), enc), 'token_invalid', /typ JWT/);
    await expectRefused(await encrypt(sign(claims(), sig.privateKey, { kid: 'sig-1', typ: 'service+jwt' }), enc), 'token_invalid', /typ service\+jwt/);
  });

  test('when the JWE uses RSA1_5, then token_invalid before any decryption', async () => {
    const rsa = await jose.JWK.createKey('RSA', 2048, { kid: 'enc-1', use: 'enc' });
    const inner = sign(claims(), sig.privateKey, { kid: 'sig-1' });
    const token = await jose.JWE.createEncrypt({ format: 'compact', fields: { alg: 'RSA1_5', enc: 'A256GCM', kid: 'enc-1', cty: 'JWT' } }, rsa)
      .update(Buffer.from(inner))
      .final();
    expect(unb64json(token.split('.')[0]!).alg).toBe('RSA1_5');
    await expectRefused(token, 'token_invalid', /JWE alg RSA1_5 is not allowed/);
  });

  test('when the JWE is compressed (zip: DEF), then token_invalid even under our own key', async () => {
    const token = await encrypt(sign(claims(), sig.privateKey, { kid: 'sig-1' }), enc, {}, { zip: true });
    expect(unb64json(token.split('.')[0]!).zip).toBe('DEF');
    await expectRefused(token, 'token_invalid', /unsupported field\(s\): zip/);
  });

  test.each([
    ['another enc', { enc: 'A128GCM' }, /JWE enc A128GCM/],
    ['A256KW', { alg: 'A256KW' }, /JWE alg A256KW/],
    ['no cty', { cty: undefined }, /cty/],
    ['jku', { jku: 'https://attacker.example/jwks.json' }, /: jku$/],
    ['x5u', { x5u: 'https://attacker.example/cert.pem' }, /: x5u$/],
    ['jwk', { jwk: { kty: 'oct', k: 'AAAA' } }, /: jwk$/],
    ['x5c', { x5c: ['MIIB'] }, /: x5c$/],
    ['crit', { crit: ['exp'], exp: 1 }, /: crit, exp$/],
  ])('when the JWE header has %s, then token_invalid', async (_name, fields, reason) => {
    const inner = sign(claims(), sig.privateKey, { kid: 'sig-1' });
    const protectedHeader = Object.fromEntries(Object.entries({ alg: 'dir', enc: 'A256GCM', kid: 'enc-1', cty: 'JWT', ...fields }).filter(([, v]) => v !== undefined));
    // Craft the header by hand where node-jose would refuse to produce it.
    let token: string;
    try {
      token = await encrypt(inner, enc, fields);
    } catch {
      token = `${b64json(protectedHeader)}..${'A'.repeat(16)}.${'A'.repeat(16)}.${'A'.repeat(22)}`;
    }
    await expectRefused(token, 'token_invalid', reason);
  });

  test.each([
    ['jku', { jku: 'https://attacker.example/jwks.json' }],
    ['x5u', { x5u: 'https://attacker.example/cert.pem' }],
    ['jwk', { jwk: { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' } }],
    ['x5c', { x5c: ['MIIB'] }],
    ['b64', { b64: false, crit: ['b64'] }],
  ])('when the JWS header has %s, then token_invalid even though the signature is good', async (name, fields) => {
    const inner = sign(claims(), sig.privateKey, { kid: 'sig-1', ...fields });
    await expectRefused(await encrypt(inner, enc), 'token_invalid', new RegExp(`JWS header has unsupported field\\(s\\): ${name}`));
  });

  test('when the signed claims are malformed (no account SID, non-UUID subject), then token_invalid', async () => {
    await expectRefused(await encrypt(sign(claims({ account_sid: undefined }), sig.privateKey, { kid: 'sig-1' }), enc), 'token_invalid', /claims are malformed/);
    await expectRefused(await encrypt(sign(claims({ sub: 'admin' }), sig.privateKey, { kid: 'sig-1' }), enc), 'token_invalid', /claims are malformed/);
    await expectRefused(await encrypt(sign(claims({ exp: nowSeconds() + 10 * 86_400 }), sig.privateKey, { kid: 'sig-1' }), enc), 'token_invalid', /lifetime/);
  });

  test('when a well-signed JWS carries a payload that is not a JSON object, then token_invalid (not a 500)', async () => {
    for (const payload of ['not json at all', '[1,2,3]', 'null', '"a string"']) {
      const header = b64json({ alg: 'ES256', typ: 'wct+jwt', kid: 'sig-1' });
      const body = Buffer.from(payload).toString('base64url');
      const signature = crypto.sign('sha256', Buffer.from(`${header}.${body}`), { key: sig.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
      // The signature is good: what refuses it is a claim check (audience first), never a crash.
      await expectRefused(await encrypt(`${header}.${body}.${signature}`, enc), 'token_invalid', /audience invalid|claims are malformed/);
    }
  });

  test('when a JWE wraps another JWE, then token_invalid', async () => {
    const minted = await sas.generate({ accountSid: ACCOUNT_SID, grants });
    await expectRefused(await encrypt(minted.body.token, enc), 'token_invalid', /not a compact JWS/);
  });
});
