import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Problem } from '@webchat/contracts';
import { browserHeaders } from '@webchat/test-harness';
import { DEFAULTS } from '@webchat/starship/src/render';
import { rawBody, rawExchange, send, type RawResponse } from './support/client';
import { recordFigures } from './support/figures';
import { expectNoLeaks } from './support/log-check';
import { CHANNELS, REFRESH, TOKEN, guestHeaders, noteTokens, startStack, type Stack } from './support/stack';

const rate = (spec: string) => Number(/^(\d+)r\/s$/.exec(spec)?.[1] ?? 1);
const json = { 'content-type': 'application/json' };

/** Every spelling a client might try for one route: only the first is the route, the rest are 404 and still counted or never proxied. */
function variants(path: string): string[] {
  const cut = path.lastIndexOf('/');
  const [head, tail] = [path.slice(0, cut), path.slice(cut + 1)];
  return [
    path,
    `${path}/`,
    `${head}/./${tail}`,
    `${head}//${tail}`,
    `/${path}`,
    `${head}%2F${tail}`,
    `${path}/.`,
    path.toLowerCase(),
    path.toUpperCase(),
  ];
}

/**
 * Issue 12, finding 2: `POST /v2/WebChannels/` once reached the create route through an nginx location
 * without a limit. Every limited route is now one spelling at the edge and in the services: each variant
 * is a 404 or meets the same limit as the route, at Starship's production settings.
 */
describe(`path variants of every limited route meet the same limit (per address ${DEFAULTS.tokenRate} burst ${DEFAULTS.tokenBurst}; per token ${DEFAULTS.tokenUseRate} burst ${DEFAULTS.tokenUseBurst})`, () => {
  let stack: Stack;
  let sent = 0;
  let tried = 0;
  let passed = 0;

  beforeAll(async () => {
    stack = await startStack({ edge: { tokenRate: DEFAULTS.tokenRate, tokenBurst: DEFAULTS.tokenBurst, tokenUseRate: DEFAULTS.tokenUseRate, tokenUseBurst: DEFAULTS.tokenUseBurst } });
  });
  afterAll(async () => {
    recordFigures('path-variants', { requestsSent: sent, requestsAnswered: sent, casesTried: tried, casesPassed: passed });
    await stack?.stop();
  });

  /**
   * A client address no request came from yet, so its per-address bucket is full: what waiting until the
   * bucket refilled gave, without the wait. (Minting in stack.mint comes from 127.0.0.1, a few times in all.)
   */
  let lastAddress = 1;
  const freshAddress = () => `127.0.0.${++lastAddress}`;

  /** Sends `count` requests at once from a fresh address, cycling through the variants; returns each answer with its path. */
  async function burst(paths: string[], count: number, request: (path: string) => Parameters<typeof send>[1]): Promise<Array<{ path: string; response: RawResponse }>> {
    sent += count;
    const localAddress = freshAddress();
    const answers = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const path = paths[i % paths.length]!;
        const response = await send(stack.edge.port, { ...request(path), localAddress });
        noteTokens(stack.watch, response.text);
        return { path, response };
      }),
    );
    return answers;
  }

  /** What the variants must show: the canonical path alone succeeds, within the budget; everything else is 404 or 429. */
  function expectOneSpellingWithinBudget(answers: Array<{ path: string; response: RawResponse }>, canonical: string, success: number, budget: number): number {
    let successes = 0;
    for (const { path, response } of answers) {
      tried += 1;
      // Another spelling is nginx's 404, or reaches the orchestrator through a limited location and is refused
      // there (404; 400 or 405 when `%2F` turns the rest of the path into a malformed SID of another route):
      // never the route's success.
      const allowed = path === canonical ? [success, 429] : [400, 404, 405, 429];
      expect({ path, allowed: allowed.includes(response.status) }).toEqual({ path, allowed: true });
      if (response.status !== success) expect(Problem.safeParse(response.json()).success).toBe(true);
      if (response.status === success) successes += 1;
      passed += 1;
    }
    expect(successes).toBeLessThanOrEqual(budget);
    return successes;
  }

  test.each([
    ['mint', TOKEN, 200],
    ['refresh', REFRESH, 401],
  ])('%s: every spelling of the route shares the per-address budget, and only the real one reaches the route', async (_name, route, success) => {
    const { deploymentKey } = await stack.system.createAccount();
    const before = await stack.system.federatedTokenCalls();
    const body = route === TOKEN ? JSON.stringify({ deploymentKey }) : JSON.stringify({ deploymentKey, token: 'x.y.z.w.v' });
    const answers = await burst(variants(route), 90, (path) => ({ method: 'POST', path, body, headers: { ...browserHeaders(), ...json } }));
    const budget = DEFAULTS.tokenBurst + 3;
    const successes = expectOneSpellingWithinBudget(answers, route, success, budget);
    if (route === TOKEN) expect((await stack.system.federatedTokenCalls()) - before).toBe(successes);
  });

  test('create a conversation: POST /v2/WebChannels/ (the reported bypass) and every other spelling create nothing beyond the budget', async () => {
    const account = await stack.system.createAccount();
    const { token } = await stack.mint(account.deploymentKey);
    // The reproduction first: 60 of 60 were 201 before.
    const slash = await burst([`${CHANNELS}/`, `${CHANNELS}/./`], 20, (path) => ({ method: 'POST', path, body: '{}', headers: { ...guestHeaders(token), ...json } }));
    expect(slash.map(({ response }) => response.status).filter((status) => status !== 404 && status !== 429)).toEqual([]);
    const answers = await burst(variants(CHANNELS), 90, (path) => ({ method: 'POST', path, body: '{}', headers: { ...guestHeaders(token), ...json } }));
    const successes = expectOneSpellingWithinBudget(answers, CHANNELS, 201, DEFAULTS.tokenBurst + 3);
    const { rows } = await stack.system.db.query<{ n: number }>('SELECT count(*)::int AS n FROM conversations WHERE account_sid = $1', [account.accountSid]);
    expect(rows[0]!.n).toBe(successes);
  });

  test.each([
    ['read a conversation', ''],
    ['list its messages', '/Messages'],
  ])('%s: reads with one token are limited per token, whatever the spelling and the claimed address', async (_name, suffix) => {
    const account = await stack.system.createAccount();
    const { token } = await stack.mint(account.deploymentKey);
    const sid = await stack.createChannel(token);
    const route = `${CHANNELS}/${sid}${suffix}`;
    const paths = [...variants(route), `${CHANNELS}/./${sid}${suffix}`, `${CHANNELS}//${sid}${suffix}`];
    const answers = await burst(paths, 120, (path) => ({ path, headers: { ...guestHeaders(token), 'x-forwarded-for': `203.0.113.${Math.floor(Math.random() * 250)}` } }));
    expectOneSpellingWithinBudget(answers, route, 200, DEFAULTS.tokenUseBurst + 3);
    expect(answers.some(({ response }) => response.status === 429)).toBe(true);
  });

  test('post a message: writes with one token are limited per token as well', async () => {
    const account = await stack.system.createAccount();
    const { token } = await stack.mint(account.deploymentKey);
    const sid = await stack.createChannel(token);
    // Until the token's bucket is full again: it took one request (creating the channel).
    await delay(Math.ceil(1000 / rate(DEFAULTS.tokenUseRate)));
    const route = `${CHANNELS}/${sid}/Messages`;
    const answers = await burst(variants(route), 60, (path) => ({ method: 'POST', path, body: JSON.stringify({ body: 'hello' }), headers: { ...guestHeaders(token), ...json } }));
    // The conversation's own limit (30 a minute, 429 from the orchestrator) may meet them first: both are 429.
    expectOneSpellingWithinBudget(answers, route, 201, DEFAULTS.tokenUseBurst + 3);
  });

  test('after all of it, no log line holds a secret', () => {
    expectNoLeaks(stack);
  });
});

describe('every answer nginx makes itself is problem+json, and the widget is served as UTF-8', () => {
  let stack: Stack;
  const assetsDir = mkdtempSync(join(tmpdir(), 'starship-assets-'));
  beforeAll(async () => {
    // Text beyond ASCII, as the widget's strings are in other languages.
    writeFileSync(join(assetsDir, 'webchat.js'), "window.Webchat = { greeting: 'Grüße, ¿qué tal? 你好' };\n");
    stack = await startStack({ edge: { assetsDir } });
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(assetsDir, { recursive: true, force: true });
  });

  test.each([
    ['an unknown Transfer-Encoding', 'POST /v2/Webchat/Token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n', 501, 'not_implemented'],
    ['HTTP/2.0 in an HTTP/1 request line', 'GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n', 505, 'http_version_not_supported'],
  ] as const)('when a request has %s, then %i as problem+json with its code', async (_what, bytes, status, code) => {
    const { text, status: answered } = await rawExchange(stack.edge.port, bytes);
    expect(answered).toBe(status);
    expect(text).toMatch(/\r\ncontent-type: application\/problem\+json\r\n/i);
    const problem = Problem.parse(JSON.parse(rawBody(text)));
    expect({ status: problem.status, code: problem.code }).toEqual({ status, code });
  });

  test('when a range of the widget cannot be satisfied, then the whole file, never an HTML 416', async () => {
    const response = await send(stack.edge.port, { path: '/assets/webchat.js', headers: { range: 'bytes=99999999-' } });
    expect(response.status).toBe(200);
    expect(response.text).toContain('Webchat');
  });

  test('the widget script is served with charset=utf-8, so a host page without <meta charset> reads its text right', async () => {
    const response = await send(stack.edge.port, { path: '/assets/webchat.js' });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/javascript; charset=utf-8');
  });
});
