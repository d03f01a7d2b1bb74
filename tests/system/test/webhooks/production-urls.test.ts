import { loadCliConfig } from '@webchat/orchestrator/src/cli/config';
import { addEndpoint, createWorld, eventually, openConversation, startDispatcher, startReceiver, type Dispatcher, type World } from './support';

let world: World;
let dispatcher: Dispatcher;
let hook: Awaited<ReturnType<typeof startReceiver>>;
let clearEndpoint: { id: string; secret: string };

beforeAll(async () => {
  world = await createWorld();
  hook = await startReceiver();
  // Written as before secrets were sealed (in clear), disabled so nothing is sent to it: the dispatcher seals it at start.
  clearEndpoint = await addEndpoint(world, 'https://hooks.example.com/in', ['--events', 'conversation.closed']);
  await world.admin('webhooks', 'disable', clearEndpoint.id);
  await world.db.query('UPDATE webhook_endpoints SET secret = $2, secret_sealed = NULL WHERE id = $1', [clearEndpoint.id, clearEndpoint.secret]);
  // NODE_ENV=production: https to public addresses only (the default there). The key is the one the CLI (development) seals with.
  dispatcher = await startDispatcher(world.testDb.url, { NODE_ENV: 'production', IDENTITY_SECRETS_KEY: loadCliConfig({}).identitySecretsKey ?? '' });
}, 90_000);

afterAll(async () => {
  await dispatcher?.kill();
  await hook?.close();
  await world?.close();
});

describe('webhook URLs in production (SSRF)', () => {
  it('when endpoints point at loopback, private, link-local/metadata or plain http, then nothing is sent and each attempt says why', async () => {
    const urls = {
      [`http://127.0.0.1:${hook.port}/hooks`]: 'url_refused',
      [`https://127.0.0.1:${hook.port}/hooks`]: 'address_refused',
      [`https://localhost:${hook.port}/hooks`]: 'address_refused',
      [`https://[::1]:${hook.port}/hooks`]: 'address_refused',
      [`https://[::ffff:127.0.0.1]:${hook.port}/hooks`]: 'address_refused',
      'https://10.0.0.7/hooks': 'address_refused',
      'https://192.168.1.20/hooks': 'address_refused',
      'https://169.254.169.254/latest/meta-data/': 'address_refused',
      'https://[fd00:ec2::254]/latest/meta-data/': 'address_refused',
    };
    const endpoints = new Map<string, string>();
    for (const url of Object.keys(urls)) endpoints.set((await addEndpoint(world, url, ['--events', 'message.created'])).id, url);
    await (await openConversation(world)).say('where does this go');

    let attempts: Array<{ endpointId: string; error: string | null; statusCode: number | null }> = [];
    await eventually(async () => {
      attempts = JSON.parse((await world.admin('webhooks', 'deliveries', world.accountSid, '--json')).stdout);
      return endpoints.size === new Set(attempts.map((a) => a.endpointId)).size;
    }, 'an attempt per endpoint');
    for (const [id, url] of endpoints) {
      const first = attempts.find((a) => a.endpointId === id);
      expect({ url, error: first?.error, statusCode: first?.statusCode }).toEqual({ url, error: urls[url], statusCode: null });
    }
    expect(hook.received).toHaveLength(0);
    expect(dispatcher.logs()).not.toContain('where does this go');
  });

  it('when it starts, then an endpoint secret stored in clear is sealed (the row no longer holds it) and logged by count only', async () => {
    const row = (await world.db.query<{ text: string }>('SELECT row_to_json(w)::text AS text FROM webhook_endpoints w WHERE id = $1', [clearEndpoint.id])).rows[0]!.text;
    expect(JSON.parse(row)).toMatchObject({ secret: null });
    expect(row).not.toContain(clearEndpoint.secret.slice('whsec_'.length));
    expect(dispatcher.logs()).toContain('webhook signing secrets sealed');
    expect(dispatcher.logs()).not.toContain(clearEndpoint.secret);
  });

  it('when IDENTITY_SECRETS_KEY is not set in production, then the dispatcher does not start and says which variable is missing', async () => {
    await expect(startDispatcher(world.testDb.url, { NODE_ENV: 'production' })).rejects.toThrow(/IDENTITY_SECRETS_KEY: required in production/);
  });

  it('when the operator adds a plain-http URL with the production CLI, then it is refused with exit code 2', async () => {
    const { runCli } = await import('@webchat/orchestrator/src/cli/webchat-admin');
    let stderr = '';
    const code = await runCli(['webhooks', 'add', world.accountSid, '--url', 'http://example.com/hooks'], {
      databaseUrl: world.testDb.url,
      allowLocalWebhookUrls: false,
      stdout: { write: () => true },
      stderr: { write: (chunk: string) => (stderr += chunk) },
    });
    expect(code).toBe(2);
    expect(stderr).toContain('--url must be https');
  });
});
