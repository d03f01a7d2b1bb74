import { WEB_CHANNELS_PATH, WEBCHAT_REFRESH_PATH, WEBCHAT_TOKEN_PATH } from '@webchat/contracts';
import { OpenApiChecker } from '@webchat/testkit';
import { browserHeaders, startSystem, type SystemUnderTest } from '@webchat/test-harness';
import { call, type Reply } from '@webchat/test-harness';

let system: SystemUnderTest;
let openapi: OpenApiChecker;
beforeAll(async () => {
  system = await startSystem();
  openapi = await OpenApiChecker.fetch(system.orchestratorUrl);
});
afterAll(() => system.stop());

const conforms = (method: string, path: string, reply: Reply) =>
  openapi.check({ method, path, status: reply.status, contentType: reply.headers.get('content-type') ?? '', body: reply.body });

describe('the orchestrator answers as its OpenAPI description says', () => {
  test('token, refresh and WebChannels successes, and their problems, match the generated document', async () => {
    const { deploymentKey } = await system.createAccount({ allowedOrigins: ['https://shop.example.com'] });
    const headers = { ...browserHeaders(), origin: 'https://shop.example.com' };
    const token = await call(`${system.orchestratorUrl}${WEBCHAT_TOKEN_PATH}`, { json: { deploymentKey }, headers });
    expect(token.status).toBe(200);
    conforms('post', WEBCHAT_TOKEN_PATH, token);

    const refused = await call(`${system.orchestratorUrl}${WEBCHAT_TOKEN_PATH}`, { json: { deploymentKey }, headers: { ...headers, origin: 'https://evil.example' } });
    expect(refused.status).toBe(403);
    conforms('post', WEBCHAT_TOKEN_PATH, refused);

    const invalid = await call(`${system.orchestratorUrl}${WEBCHAT_TOKEN_PATH}`, { json: { deploymentKey: 1 }, headers });
    expect(invalid.status).toBe(400);
    conforms('post', WEBCHAT_TOKEN_PATH, invalid);

    const refreshed = await call(`${system.orchestratorUrl}${WEBCHAT_REFRESH_PATH}`, { json: { deploymentKey, token: token.body.token }, headers });
    expect(refreshed.status).toBe(200);
    conforms('post', WEBCHAT_REFRESH_PATH, refreshed);

    const guest = { ...headers, authorization: `Bearer ${token.body.token}` };
    const channel = await call(`${system.orchestratorUrl}${WEB_CHANNELS_PATH}`, { json: { preEngagementData: { question: 'Hello?' } }, headers: guest });
    expect(channel.status).toBe(201);
    conforms('post', WEB_CHANNELS_PATH, channel);

    const sid = channel.body.conversationSid as string;
    const message = await call(`${system.orchestratorUrl}${WEB_CHANNELS_PATH}/${sid}/Messages`, { json: { body: 'Still there?' }, headers: guest });
    expect(message.status).toBe(201);
    conforms('post', `${WEB_CHANNELS_PATH}/{conversationSid}/Messages`, message);

    const history = await call(`${system.orchestratorUrl}${WEB_CHANNELS_PATH}/${sid}`, { headers: guest });
    expect(history.status).toBe(200);
    conforms('get', `${WEB_CHANNELS_PATH}/{conversationSid}`, history);

    const list = await call(`${system.orchestratorUrl}${WEB_CHANNELS_PATH}/${sid}/Messages`, { headers: guest });
    expect(list.status).toBe(200);
    conforms('get', `${WEB_CHANNELS_PATH}/{conversationSid}/Messages`, list);

    const unauthenticated = await call(`${system.orchestratorUrl}${WEB_CHANNELS_PATH}/${sid}`, { headers });
    expect(unauthenticated.status).toBe(401);
    conforms('get', `${WEB_CHANNELS_PATH}/{conversationSid}`, unauthenticated);
  });

  test('a message over the conversation limit gets the documented 429 problem', async () => {
    const { deploymentKey } = await system.createAccount();
    const token = await call(`${system.orchestratorUrl}${WEBCHAT_TOKEN_PATH}`, { json: { deploymentKey }, headers: browserHeaders() });
    const guest = { ...browserHeaders(), authorization: `Bearer ${token.body.token}` };
    const channel = await call(`${system.orchestratorUrl}${WEB_CHANNELS_PATH}`, { json: {}, headers: guest });
    const messages = `${system.orchestratorUrl}${WEB_CHANNELS_PATH}/${channel.body.conversationSid as string}/Messages`;
    const replies = await Promise.all(Array.from({ length: 31 }, (_, i) => call(messages, { json: { body: `m${i}` }, headers: guest })));
    const limited = replies.find((reply) => reply.status === 429);
    expect(limited).toBeDefined();
    conforms('post', `${WEB_CHANNELS_PATH}/{conversationSid}/Messages`, limited!);
  });

  test('a response that breaks the contract is caught by the checker', async () => {
    const { deploymentKey } = await system.createAccount();
    const token = await call(`${system.orchestratorUrl}${WEBCHAT_TOKEN_PATH}`, { json: { deploymentKey }, headers: browserHeaders() });
    const broken = { ...token, body: { ...token.body, identity: 'not-a-uuid' } };
    expect(() => conforms('post', WEBCHAT_TOKEN_PATH, broken)).toThrow(/does not match/);
  });
});
