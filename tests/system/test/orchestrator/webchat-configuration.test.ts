import { WEB_CHANNELS_PATH, WEBCHAT_CONFIGURATION_PATH, WEBCHAT_TOKEN_PATH, WebchatConfiguration } from '@webchat/contracts';
import { browserHeaders, startSystem, type SystemUnderTest } from '@webchat/test-harness';
import { call } from '@webchat/test-harness';

let system: SystemUnderTest;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(async () => {
  await system.stop();
});

const SHOP = 'https://shop.example.com';
const STAGING = 'https://staging.example.com';
const WIDGET = {
  brandColor: '#7A1F5C',
  position: 'left',
  title: 'Acme help',
  fields: [
    { name: 'name', type: 'text', required: true, maxLength: 80 },
    { name: 'topic', type: 'select', label: 'Topic', required: true, options: ['Orders', 'Billing'] },
    { name: 'question', type: 'textarea', required: false, maxLength: 500 },
  ],
  texts: { es: { startChat: 'Hablar ahora' }, ar: { title: 'تحدث معنا' } },
};

const configurationUrl = (deploymentKey: string) => `${system.orchestratorUrl}${WEBCHAT_CONFIGURATION_PATH}?deploymentKey=${encodeURIComponent(deploymentKey)}`;
const read = (deploymentKey: string, origin?: string) => call(configurationUrl(deploymentKey), { headers: origin ? { origin } : {} });

describe('GET /v2/Webchat/Configuration', () => {
  test('from an allowed origin: the account’s look, form and texts, cacheable briefly per Origin, and nothing about its security settings', async () => {
    const { deploymentKey } = await system.createAccount({ allowedOrigins: [SHOP], welcomeMessage: 'Hi from Acme', widget: WIDGET });
    const reply = await read(deploymentKey, SHOP);
    expect(reply.status).toBe(200);
    expect(WebchatConfiguration.parse(reply.body)).toEqual({
      brandColor: '#7a1f5c',
      position: 'left',
      title: 'Acme help',
      subtitle: null,
      welcomeMessage: 'Hi from Acme',
      fields: [
        { name: 'name', type: 'text', required: true, maxLength: 80 },
        { name: 'topic', type: 'select', label: 'Topic', required: true, maxLength: 256, options: ['Orders', 'Billing'] },
        { name: 'question', type: 'textarea', required: false, maxLength: 500 },
      ],
      texts: WIDGET.texts,
    });
    expect(reply.headers.get('cache-control')).toBe('public, max-age=60');
    expect(reply.headers.get('vary')).toMatch(/Origin/);
    expect(reply.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(reply.text).not.toMatch(/shop\.example\.com|sensitivity|ttl/i);
  });

  test('an account that configured nothing gets the default form (name, email, question) on the right', async () => {
    const { deploymentKey } = await system.createAccount();
    const reply = await read(deploymentKey, 'https://anywhere.example');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ brandColor: null, position: 'right', title: null });
    expect(reply.body.fields.map((field: { name: string }) => field.name)).toEqual(['name', 'email', 'question']);
    expect(reply.headers.get('access-control-allow-origin')).toBe('*');
  });

  test('when the origin is not allowed, then 403 origin_not_allowed, not cacheable, and the refusal is counted for the operator', async () => {
    const { deploymentKey, accountSid } = await system.createAccount({ allowedOrigins: [SHOP] });
    for (let i = 0; i < 3; i += 1) {
      const reply = await read(deploymentKey, STAGING);
      expect(reply.status).toBe(403);
      expect(reply.body.code).toBe('origin_not_allowed');
      expect(reply.headers.get('cache-control')).toBe('no-store');
    }
    await call(`${system.orchestratorUrl}${WEBCHAT_TOKEN_PATH}`, { json: { deploymentKey }, headers: { ...browserHeaders(), origin: 'http://localhost:8000' } });
    await system.refusals.flush();
    const refused = await system.refusedOrigins.list(accountSid);
    expect(refused.map(({ origin, refusals }) => ({ origin, refusals })).sort((a, b) => a.origin.localeCompare(b.origin))).toEqual([
      { origin: 'http://localhost:8000', refusals: 1 },
      { origin: STAGING, refusals: 3 },
    ]);
  });

  test('when a request has no Origin at all for an account with allowed origins, then 403 origin_required says so (and nothing is counted)', async () => {
    const { deploymentKey, accountSid } = await system.createAccount({ allowedOrigins: [SHOP] });
    const configuration = await read(deploymentKey);
    const token = await call(`${system.orchestratorUrl}${WEBCHAT_TOKEN_PATH}`, { json: { deploymentKey }, headers: browserHeaders() });
    for (const reply of [configuration, token]) {
      expect(reply.status).toBe(403);
      expect(reply.body.code).toBe('origin_required');
      expect(reply.body.detail).toMatch(/no Origin header/);
    }
    await system.refusals.flush();
    expect(await system.refusedOrigins.list(accountSid)).toEqual([]);
  });

  test('a revoked key and a malformed one: the same 403 deployment_key_invalid as minting, readable by the page', async () => {
    const { deploymentKey, keyId } = await system.createAccount();
    await system.accounts.revokeDeploymentKey(keyId);
    const revoked = await read(deploymentKey, SHOP);
    expect(revoked.status).toBe(403);
    expect(revoked.body.code).toBe('deployment_key_invalid');
    expect(revoked.headers.get('access-control-allow-origin')).toBe(SHOP);
    const missing = await call(`${system.orchestratorUrl}${WEBCHAT_CONFIGURATION_PATH}`, { headers: { origin: SHOP } });
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe('invalid_request');
  });

  test('the refused-origin list stays bounded: only the 20 most recently seen distinct origins are kept', async () => {
    const { accountSid } = await system.createAccount({ allowedOrigins: [SHOP] });
    for (let i = 0; i < 25; i += 1) await system.refusedOrigins.record(accountSid, `https://site${i}.example.com`, 1);
    const kept = await system.refusedOrigins.list(accountSid);
    expect(kept).toHaveLength(20);
    expect(kept[0]?.origin).toBe('https://site24.example.com');
    expect(kept.map((entry) => entry.origin)).not.toContain('https://site0.example.com');
  });
});

describe('pre-engagement data is checked on the server against the account’s own fields', () => {
  const mintFor = async (deploymentKey: string) =>
    (await call(`${system.orchestratorUrl}${WEBCHAT_TOKEN_PATH}`, { json: { deploymentKey }, headers: { ...browserHeaders(), origin: SHOP } })).body.token as string;
  const create = (token: string, preEngagementData: Record<string, unknown>) =>
    call(`${system.orchestratorUrl}${WEB_CHANNELS_PATH}`, { json: { preEngagementData }, headers: { ...browserHeaders(), origin: SHOP, authorization: `Bearer ${token}` } });

  test('when a required field is missing or a select holds another value, then 400 with one error per field and no conversation', async () => {
    const { deploymentKey, accountSid } = await system.createAccount({ allowedOrigins: [SHOP], widget: WIDGET });
    const token = await mintFor(deploymentKey);
    const reply = await create(token, { name: 'Ada', topic: 'Refunds', question: 'q'.repeat(501) });
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('invalid_request');
    expect(reply.body.errors).toEqual([
      { field: 'preEngagementData.topic', message: 'must be one of the listed options' },
      { field: 'preEngagementData.question', message: 'must be at most 500 characters' },
    ]);
    const { rows } = await system.db.query('SELECT count(*)::int AS n FROM conversations WHERE account_sid = $1', [accountSid]);
    expect(rows[0]).toEqual({ n: 0 });
    expect((await create(token, { name: 'Ada', topic: 'Orders' })).status).toBe(201);
  });
});
