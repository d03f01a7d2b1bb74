import { ServiceIdentities, encryptionKey, keyMaterial, signingKey } from '@webchat/test-harness';
import { ACCOUNT_SID, captureLogs, startScopedAuth, type ScopedAuthUnderTest } from '@webchat/test-harness';
import { flipChar } from '@webchat/test-harness';
import { request } from '@webchat/test-harness';
import { startFakeUpstream, startFederatedAuth, type FakeUpstream, type FederatedAuthUnderTest } from '@webchat/test-harness';

const FINGERPRINT = 'fp-raw-value-that-must-not-be-logged-5f1c';

describe('logs of both services', () => {
  const services = new ServiceIdentities();
  const scopedLogs = captureLogs('scoped-auth');
  const federatedLogs = captureLogs('federated-auth');
  const sig = signingKey('sig-1');
  const enc = encryptionKey('enc-1');
  const secrets: string[] = [FINGERPRINT];
  let sas: ScopedAuthUnderTest;
  let fas: FederatedAuthUnderTest;
  let failing: FakeUpstream;
  let failingFas: FederatedAuthUnderTest;

  beforeAll(async () => {
    sas = await startScopedAuth({ services, logger: scopedLogs.logger, material: keyMaterial([sig], [enc]) });
    fas = await startFederatedAuth({ services, scopedAuthUrl: sas.url, logger: federatedLogs.logger });
    failing = await startFakeUpstream((_req, res) => res.writeHead(500).end('{"token":"eyJsecret"}'));
    failingFas = await startFederatedAuth({ services, scopedAuthUrl: failing.url, logger: federatedLogs.logger });
  });
  afterAll(async () => {
    await failingFas.close();
    await failing.close();
    await fas.close();
    await sas.close();
  });

  test('when tokens are minted, validated and refused, then no token, key, fingerprint or service JWT appears in any log line', async () => {
    const flagOff = await fas.issue(ACCOUNT_SID, {});
    const flagOn = await fas.issue(ACCOUNT_SID, { fingerprint: FINGERPRINT });
    const plain = await sas.generate({ accountSid: ACCOUNT_SID, grants: {}, encrypt: false, fingerprint: FINGERPRINT });
    expect([flagOff.status, flagOn.status, plain.status]).toEqual([200, 200, 200]);
    const tokens: string[] = [flagOff.body.token, flagOn.body.token, plain.body.token];

    await sas.validate(flagOn.body.token, FINGERPRINT);
    await sas.validate(flagOn.body.token, 'another');
    await sas.validate(plain.body.token);
    const parts = plain.body.token.split('.');
    const tampered = `${parts[0]}.${flipChar(parts[1])}.${parts[2]}`;
    tokens.push(tampered);
    await sas.validate(tampered, FINGERPRINT);
    // A bad body carrying a token and a fingerprint, and a refused caller presenting a genuine service JWT.
    await sas.validate(flagOff.body.token, FINGERPRINT, { extra: flagOff.body.token });
    const wrongCaller = services.token('scoped-auth', 'federated-auth');
    await fas.issue(ACCOUNT_SID, { fingerprint: FINGERPRINT }, { token: wrongCaller });
    await request(`${fas.url}/v1/Accounts/${ACCOUNT_SID}/Tokens`, { json: {}, headers: { authorization: `Bearer ${flagOn.body.token}` } });
    // A downstream failure, logged with its cause.
    expect((await failingFas.issue(ACCOUNT_SID, { fingerprint: FINGERPRINT })).status).toBe(502);

    const serviceJwts = [
      fas.signer.tokenFor('scoped-auth'),
      failingFas.signer.tokenFor('scoped-auth'),
      services.token('orchestrator', 'federated-auth'),
      services.token('orchestrator', 'scoped-auth'),
      services.token('federated-auth', 'scoped-auth'),
      wrongCaller,
    ];
    const keyMaterialStrings = [
      sig.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      enc.secret.toString('base64url'),
      enc.secret.toString('base64'),
      ...Object.values(services.privateKeys).map((k) => k.export({ type: 'pkcs8', format: 'pem' }).toString()),
    ];
    secrets.push(...tokens, ...tokens.flatMap((t) => t.split('.').filter((p) => p.length > 20)), ...serviceJwts, ...keyMaterialStrings);

    const lines = [...scopedLogs.lines(), ...federatedLogs.lines()];
    // Not vacuous: every kind of event was logged.
    const messages = new Set(lines.map((l) => JSON.parse(l).message));
    for (const m of ['token minted', 'token validated', 'token refused', 'token issued', 'request refused', 'request failed']) expect(messages).toContain(m);

    for (const line of lines) {
      for (const secret of secrets) expect(line).not.toContain(secret);
      expect(line).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}/);
      expect(line).not.toMatch(/BEGIN [A-Z ]*KEY/);
    }
  });
});
