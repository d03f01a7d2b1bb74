import { ServiceIdentities, encryptionKey, keyMaterial, signingKey } from '@webchat/test-harness';
import { ACCOUNT_SID, startScopedAuth, type ScopedAuthUnderTest } from '@webchat/test-harness';
import { unb64json, decrypt } from '@webchat/test-harness';

const grants = { webchat: { role: 'guest', accountSid: ACCOUNT_SID } };

describe('scoped-auth key rotation', () => {
  const services = new ServiceIdentities();
  const sigOld = signingKey('sig-2024');
  const sigNew = signingKey('sig-2025');
  const encOld = encryptionKey('enc-2024');
  const encNew = encryptionKey('enc-2025');
  const running: ScopedAuthUnderTest[] = [];
  const start = async (material: ReturnType<typeof keyMaterial>) => {
    const sas = await startScopedAuth({ services, material });
    running.push(sas);
    return sas;
  };

  afterAll(() => Promise.all(running.map((sas) => sas.close())));

  test('when a new key becomes active, then new tokens use it and tokens minted under the old one still validate', async () => {
    const before = await start(keyMaterial([sigOld], [encOld]));
    const oldEncrypted = await before.generate({ accountSid: ACCOUNT_SID, grants, fingerprint: 'fp' });

    const after = await start(keyMaterial([sigOld, sigNew], [encOld, encNew], { signing: 'sig-2025', encryption: 'enc-2025' }));
    const fresh = await after.generate({ accountSid: ACCOUNT_SID, grants });
    expect(unb64json(fresh.body.token.split('.')[0]).kid).toBe('enc-2025');
    expect(unb64json((await decrypt(fresh.body.token, encNew)).split('.')[0]!).kid).toBe('sig-2025');

    expect((await after.validate(oldEncrypted.body.token, 'fp')).status).toBe(200);
    expect((await after.validate(fresh.body.token)).status).toBe(200);
  });

  test('when a retired signing key is kept as a public key only, then its tokens still validate', async () => {
    const before = await start(keyMaterial([sigOld], [encOld]));
    const old = await before.generate({ accountSid: ACCOUNT_SID, grants });
    const verifyOnly = { kid: sigOld.kid, publicKey: sigOld.publicKey };
    const after = await start(keyMaterial([sigNew, verifyOnly], [encOld]));
    expect((await after.validate(old.body.token)).status).toBe(200);
  });

  test('when the old signing key is removed, then tokens it signed are refused', async () => {
    const before = await start(keyMaterial([sigOld], [encOld]));
    const old = await before.generate({ accountSid: ACCOUNT_SID, grants });
    const oldPlain = await before.generate({ accountSid: ACCOUNT_SID, grants, encrypt: false });
    const after = await start(keyMaterial([sigNew], [encOld]));
    for (const token of [old.body.token, oldPlain.body.token]) {
      const res = await after.validate(token);
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'token_invalid' });
    }
  });

  test('when the old encryption key is removed, then tokens encrypted under it are refused', async () => {
    const before = await start(keyMaterial([sigOld], [encOld]));
    const old = await before.generate({ accountSid: ACCOUNT_SID, grants });
    const after = await start(keyMaterial([sigOld], [encNew]));
    const res = await after.validate(old.body.token);
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'token_invalid' });
  });
});
