/**
 * The example echo bot end to end: real Postgres, the orchestrator over HTTP, the real dispatcher process and the
 * real examples/echo-bot process, wired with the README's commands (`agents add --bot`, `webhooks add`). Issue 15
 * could only test the bot against a stand-in of the agent API; this is the real one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import { CONVERSATIONS_PATH, WEB_CHANNELS_PATH, WEBCHAT_TOKEN_PATH, WebhookEvent } from '@webchat/contracts';
import { getFreePort, REPO_ROOT, waitForHttp } from '@webchat/testkit';
import { browserHeaders, call, startSystem, type SystemUnderTest } from '@webchat/test-harness';
import { addEndpoint, eventually, runAdmin, startDispatcher, startReceiver, type Dispatcher } from './support';

let system: SystemUnderTest;
let dispatcher: Dispatcher;
let bot: ChildProcess | undefined;
let botLogs = '';
let accountSid: string;
let deploymentKey: string;
const closers: Array<() => Promise<void>> = [];

const url = (p: string) => `${system.orchestratorUrl}${p}`;
const admin = (...argv: string[]) => runAdmin(system.databaseUrl, argv);

/** The bot's own start command, configured as its README says. */
async function startEchoBot(env: { port: number; webhookSecret: string; agentKey: string }): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'examples/echo-bot/src/start.ts')], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH,
      ECHO_BOT_PORT: String(env.port),
      ECHO_BOT_HOST: '127.0.0.1',
      WEBHOOK_SECRET: env.webhookSecret,
      AGENT_KEY: env.agentKey,
      WEBCHAT_API_URL: system.orchestratorUrl,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  bot = child;
  child.stdout?.on('data', (chunk: Buffer) => (botLogs += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (botLogs += chunk.toString()));
  await waitForHttp(`http://127.0.0.1:${env.port}/healthz`, {
    timeoutMs: 60_000,
    abortIf: () => (child.exitCode !== null ? new Error(`echo bot exited:\n${botLogs}`) : undefined),
  });
}

/** A failed wait says what the bot logged meanwhile (each reply's status). */
const withBotLog = (waiting: Promise<void>) =>
  waiting.catch((error: Error) => {
    throw new Error(`${error.message}\nbot log:\n${botLogs}`);
  });

async function guestConversation() {
  const minted = await call(url(WEBCHAT_TOKEN_PATH), { json: { deploymentKey }, headers: browserHeaders() });
  expect(minted.status).toBe(200);
  const guest = { ...browserHeaders(), authorization: `Bearer ${minted.body.token}` };
  const created = await call(url(WEB_CHANNELS_PATH), { json: { customerFriendlyName: 'Grace' }, headers: guest });
  expect(created.status).toBe(201);
  return { sid: created.body.conversationSid as string, guest };
}

beforeAll(async () => {
  system = await startSystem();
  ({ accountSid, deploymentKey } = await system.createAccount());

  const addedBot = await admin('agents', 'add', accountSid, '--name', 'Echo', '--bot', '--json');
  expect(addedBot.code).toBe(0);
  const botPort = await getFreePort();
  const hook = await addEndpoint({ admin, accountSid }, `http://127.0.0.1:${botPort}/webhooks`, ['--events', 'message.created']);
  await startEchoBot({ port: botPort, webhookSecret: hook.secret, agentKey: JSON.parse(addedBot.stdout).key });
  dispatcher = await startDispatcher(system.databaseUrl);
}, 180_000);

afterAll(async () => {
  await dispatcher?.kill();
  if (bot && bot.exitCode === null && bot.signalCode === null) {
    const exited = new Promise((resolve) => bot!.once('exit', resolve));
    bot.kill('SIGTERM');
    await exited;
  }
  for (const close of closers) await close();
  await system?.stop();
});

describe('the echo bot, connected with the README commands', () => {
  it('when a guest writes "Hello", then within seconds the transcript holds the bot\'s reply once, authored as the bot "Echo"', async () => {
    const { sid, guest } = await guestConversation();
    expect((await call(url(`${WEB_CHANNELS_PATH}/${sid}/Messages`), { json: { body: 'Hello' }, headers: guest })).status).toBe(201);

    const transcript = async () => (await call(url(`${WEB_CHANNELS_PATH}/${sid}`), { headers: guest })).body.messages as Array<{ author: string; authorName?: string; body: string }>;
    await withBotLog(eventually(async () => (await transcript()).some((m) => m.author === 'bot'), "the bot's reply", 20_000));
    // Its own reply comes back to it as message.created: give a loop or a duplicate the time to show.
    await delay(2000);
    const messages = await transcript();
    expect(messages.filter((m) => m.author !== 'system').map((m) => ({ author: m.author, authorName: m.authorName, body: m.body }))).toEqual([
      { author: 'guest', authorName: undefined, body: 'Hello' },
      { author: 'bot', authorName: 'Echo', body: 'Echo: Hello' },
    ]);
  }, 60_000);

  it('when a guest writes a message at the 4 KiB limit in multi-byte characters, then the bot still answers, cut to what the agent API accepts', async () => {
    const { sid, guest } = await guestConversation();
    const longest = '€'.repeat(1365); // 4095 bytes: "Echo: " in front of it would be over the limit
    expect((await call(url(`${WEB_CHANNELS_PATH}/${sid}/Messages`), { json: { body: longest }, headers: guest })).status).toBe(201);

    const botReplies = async () =>
      ((await call(url(`${WEB_CHANNELS_PATH}/${sid}`), { headers: guest })).body.messages as Array<{ author: string; body: string }>).filter((m) => m.author === 'bot');
    await withBotLog(eventually(async () => (await botReplies()).length > 0, "the bot's reply", 20_000));
    const [reply] = await botReplies();
    expect(reply!.body).toBe(`Echo: ${'€'.repeat(1363)}`); // 6 + 1363 × 3 = 4095 bytes, whole characters only
  }, 60_000);

  it('when an agent closes the conversation, then a subscribed receiver gets one conversation.closed it verifies with the Standard Webhooks library', async () => {
    const receiver = await startReceiver();
    closers.push(() => receiver.close());
    const { id: endpointId, secret } = await addEndpoint({ admin, accountSid }, receiver.url, ['--events', 'conversation.closed']);
    closers.push(async () => void (await admin('webhooks', 'remove', endpointId)));
    const agent = JSON.parse((await admin('agents', 'add', accountSid, '--name', 'Ada', '--json')).stdout) as { key: string; agentSid: string };
    const { sid } = await guestConversation();

    const closed = await call(url(`${CONVERSATIONS_PATH}/${sid}/Close`), { method: 'POST', headers: { authorization: `Bearer ${agent.key}` } });
    expect(closed.status).toBe(200);

    await eventually(() => receiver.received.length >= 1, 'the conversation.closed delivery');
    await delay(1000);
    expect(receiver.received).toHaveLength(1);
    const [delivery] = receiver.received;
    const event = new Webhook(secret).verify(delivery!.body, delivery!.headers as Record<string, string>) as Record<string, unknown>;
    expect(WebhookEvent.parse(event)).toMatchObject({
      id: delivery!.headers['webhook-id'],
      type: 'conversation.closed',
      accountSid,
      data: { conversationSid: sid, closedBy: { kind: 'agent', agentSid: agent.agentSid, name: 'Ada' } },
    });
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(delivery!.body, delivery!.headers as Record<string, string>)).toThrow();
  }, 60_000);
});
