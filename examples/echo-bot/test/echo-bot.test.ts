/**
 * The echo bot's own rules against the documented agent API contract (POST /v2/Conversations/{sid}/Messages,
 * Bearer wk_..., { body }): a real HTTP server on loopback records what the bot sends and answers what a test needs
 * (503, 409). Events are signed with the same Standard Webhooks library the dispatcher uses. The bot against the
 * real agent API and dispatcher: tests/system/test/webhooks/echo-bot-e2e.test.ts.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { createEchoBot, replyTo } from '../src/bot';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const agentKey = `wk_${randomBytes(16).toString('hex')}`;
const conversationSid = `CH${randomBytes(16).toString('hex')}`;

interface Reply { path: string; authorization?: string; body: { body: string } }
let replies: Reply[] = [];
let apiStatus = 201;
let api: http.Server;
let bot: http.Server;
let botUrl: string;
let botLog: string[] = [];

const listen = (server: http.Server) =>
  new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));

beforeAll(async () => {
  api = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      replies.push({ path: req.url ?? '', authorization: req.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString()) });
      // As the agent API answers: a problem (RFC 9457) with a stable code for every error.
      if (apiStatus >= 400) {
        res.writeHead(apiStatus, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ type: 'about:blank', title: 'Refused', status: apiStatus, code: `refused_${apiStatus}`, detail: 'details that are not logged' }));
      } else {
        res.writeHead(apiStatus, { 'content-type': 'application/json' }).end('{}');
      }
    });
  });
  const apiPort = await listen(api);
  bot = createEchoBot({ webhookSecret: secret, apiBaseUrl: `http://127.0.0.1:${apiPort}`, agentKey }, (line) => botLog.push(line));
  botUrl = `http://127.0.0.1:${await listen(bot)}/webhooks`;
});

afterAll(async () => {
  for (const server of [bot, api]) await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  replies = [];
  apiStatus = 201;
  botLog = [];
});

const eventId = () => `EV${randomBytes(16).toString('hex')}`;
function message(author: string, body: string, id = eventId()) {
  return { id, type: 'message.created', createdAt: new Date().toISOString(), accountSid: `AC${'0'.repeat(32)}`, data: { messageSid: `IM${'1'.repeat(32)}`, conversationSid, author, body, createdAt: new Date().toISOString() } };
}
async function deliver(event: { id: string }, signWith = secret, to = botUrl) {
  const body = JSON.stringify(event);
  const now = new Date();
  const response = await fetch(to, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': event.id,
      'webhook-timestamp': Math.floor(now.getTime() / 1000).toString(),
      'webhook-signature': new Webhook(signWith).sign(event.id, now, body),
    },
    body,
  });
  return response.status;
}

describe('echo bot', () => {
  it('when a guest message arrives signed, then it answers once through the agent API as the bot', async () => {
    expect(await deliver(message('guest', 'hello'))).toBe(204);
    expect(replies).toEqual([{ path: `/v2/Conversations/${conversationSid}/Messages`, authorization: `Bearer ${agentKey}`, body: { body: 'Echo: hello' } }]);
  });

  it('when the signature is made with another secret, then 401 and no reply', async () => {
    expect(await deliver(message('guest', 'forged'), `whsec_${randomBytes(32).toString('base64')}`)).toBe(401);
    expect(replies).toHaveLength(0);
  });

  it('when the message is its own (or any non-guest) message, then it does not answer (no loop)', async () => {
    expect(await deliver(message('agent', 'Echo: hello'))).toBe(204);
    expect(await deliver(message('system', 'Welcome'))).toBe(204);
    expect(replies).toHaveLength(0);
  });

  it('when the same event is delivered twice (at least once), then it answers once', async () => {
    const event = message('guest', 'twice');
    expect(await deliver(event)).toBe(204);
    expect(await deliver(event)).toBe(204);
    expect(replies).toHaveLength(1);
  });

  it('when the conversation was closed before the reply (409), then the event is done: 204, no retry asked', async () => {
    apiStatus = 409;
    expect(await deliver(message('guest', 'too late'))).toBe(204);
    expect(replies).toHaveLength(1);
  });

  it('when the echo would pass the agent API\'s 4 KiB body limit, then it is cut there on a whole character', () => {
    const reply = replyTo('😀'.repeat(1023)); // 4092 bytes
    expect(Buffer.byteLength(reply, 'utf8')).toBeLessThanOrEqual(4096);
    expect(reply).toBe(`Echo: ${'😀'.repeat(1022)}`);
  });

  it('when the agent API fails, then it answers 503 so the dispatcher retries the same event, and the retry replies', async () => {
    const event = message('guest', 'retry me');
    apiStatus = 503;
    expect(await deliver(event)).toBe(503);
    apiStatus = 201;
    expect(await deliver(event)).toBe(204);
    expect(replies.map((r) => r.body.body)).toEqual(['Echo: retry me', 'Echo: retry me']);
  });

  it.each([400, 403, 404, 422])('when the agent API refuses the reply with %i, then the event is acknowledged (204, not retried for a day) and only the status and code are logged', async (status) => {
    apiStatus = status;
    const event = message('guest', 'a secret question');
    expect(await deliver(event)).toBe(204);
    expect(replies).toHaveLength(1);
    expect(botLog).toEqual([`event ${event.id}: reply ${status} (refused_${status}), refused for good: acknowledged, not retried`]);
    expect(botLog.join('\n')).not.toMatch(/secret question|details that are not logged|wk_/);
  });

  it.each([500, 502, 503, 408, 429])('when the agent API answers %i, then the bot answers 503 so the dispatcher retries the event', async (status) => {
    apiStatus = status;
    expect(await deliver(message('guest', 'later please'))).toBe(503);
  });

  it('when the agent API cannot be reached, then the bot answers 503 so the dispatcher retries the event', async () => {
    const closed = http.createServer();
    const port = await listen(closed);
    await new Promise((resolve) => closed.close(resolve)); // a port nothing listens on any more
    const lonely = createEchoBot({ webhookSecret: secret, apiBaseUrl: `http://127.0.0.1:${port}`, agentKey });
    const lonelyUrl = `http://127.0.0.1:${await listen(lonely)}/webhooks`;
    try {
      expect(await deliver(message('guest', 'anyone?'), secret, lonelyUrl)).toBe(503);
    } finally {
      await new Promise((resolve) => lonely.close(resolve));
    }
  });
});
