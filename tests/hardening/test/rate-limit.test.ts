import { setTimeout as delay } from 'node:timers/promises';
import { browserHeaders } from '@webchat/test-harness';
import { DEFAULTS } from '@webchat/starship/src/render';
import { send, type RawResponse } from './support/client';
import { recordFigures } from './support/figures';
import { expectNoLeaks } from './support/log-check';
import { expectProblem } from './support/problems';
import { CHANNELS, REFRESH, TOKEN, noteTokens, startStack, type Stack } from './support/stack';

const PER_SECOND = Number(/^(\d+)r\/s$/.exec(DEFAULTS.tokenRate)?.[1] ?? 1);

/** Headers a client might hope a proxy trusts for its address; Starship takes the address from the connection. */
const spoofs = (i: number): Record<string, string> => ({
  'x-forwarded-for': `203.0.113.${i % 250}, 198.51.100.${i % 250}`,
  'x-real-ip': `192.0.2.${i % 250}`,
  forwarded: `for=198.51.100.${i % 250};proto=https`,
  'true-client-ip': `203.0.113.${(i + 7) % 250}`,
  'cf-connecting-ip': `198.51.100.${(i + 3) % 250}`,
});

describe(`rate limits at Starship's production setting (${DEFAULTS.tokenRate}, burst ${DEFAULTS.tokenBurst})`, () => {
  let stack: Stack;
  let key: string;
  let sent = 0;

  beforeAll(async () => {
    stack = await startStack({ edge: { tokenRate: DEFAULTS.tokenRate, tokenBurst: DEFAULTS.tokenBurst } });
    key = (await stack.system.createAccount()).deploymentKey;
    // A warm chain (connections open, code compiled): the bursts below measure the edge's budget, and a cold first
    // mint on a busy machine can outlast the internal deadline (504) without telling anything about the limit.
    for (let i = 0; i < 3; i += 1) {
      sent += 1;
      const warm = await send(stack.edge.port, { method: 'POST', path: TOKEN, body: JSON.stringify({ deploymentKey: key }), headers: { ...browserHeaders(), 'content-type': 'application/json' }, localAddress: '127.0.0.254' });
      expect(warm.status).toBe(200);
    }
  });

  afterAll(async () => {
    recordFigures('rate-limit', { requestsSent: sent, requestsAnswered: sent });
    await stack?.stop();
  });

  /**
   * A client address no request came from yet (any 127/8 address reaches 127.0.0.1 on Linux): its per-address
   * bucket is full, so a test starts from a full burst without waiting for an earlier test's bucket to drain.
   */
  let lastAddress = 1;
  const freshAddress = () => `127.0.0.${++lastAddress}`;

  /** How long the last burst took to be answered: the bucket refills meanwhile. */
  let lastBurstMs = 0;

  async function burst(count: number, headersFor: (i: number) => Record<string, string> = () => ({}), path = TOKEN, localAddress = freshAddress()): Promise<RawResponse[]> {
    sent += count;
    const started = performance.now();
    const body = path === TOKEN ? JSON.stringify({ deploymentKey: key }) : JSON.stringify({ deploymentKey: key, token: 'x.y.z' });
    const responses = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        send(stack.edge.port, { method: 'POST', path, body, headers: { ...browserHeaders(), 'content-type': 'application/json', ...headersFor(i) }, localAddress }),
      ),
    );
    lastBurstMs = performance.now() - started;
    for (const response of responses) noteTokens(stack.watch, response.text);
    return responses;
  }

  function expectLimited(responses: RawResponse[], admittedStatus: number): { admitted: number; limited: number } {
    const limited = responses.filter((r) => r.status === 429);
    const admitted = responses.filter((r) => r.status === admittedStatus);
    // Anything else is named with its problem, so a failure says what was answered instead.
    expect(responses.filter((r) => r.status !== 429 && r.status !== admittedStatus).map((r) => `${r.status} ${r.text.slice(0, 120)}`)).toEqual([]);
    // The burst and the request the rate allows, plus what the rate refills while the burst is being sent.
    expect(admitted.length).toBeGreaterThanOrEqual(DEFAULTS.tokenBurst);
    expect(admitted.length).toBeLessThanOrEqual(DEFAULTS.tokenBurst + 2 + Math.ceil((lastBurstMs / 1000) * PER_SECOND));
    expect(limited.length).toBeGreaterThan(0);
    for (const response of limited) {
      expectProblem(response, 429, 'rate_limited');
      expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(response.all('access-control-allow-origin')).toEqual(['*']);
    }
    return { admitted: admitted.length, limited: limited.length };
  }

  test('when one address sends a burst of token requests, then the excess gets 429 rate_limited with Retry-After, and never reaches the services', async () => {
    const before = await stack.system.federatedTokenCalls();
    const { admitted } = expectLimited(await burst(60), 200);
    expect((await stack.system.federatedTokenCalls()) - before).toBe(admitted);
  });

  test('when the same burst claims a different client address on every request (X-Forwarded-For, X-Real-IP, Forwarded, ...), then it is limited all the same', async () => {
    const before = await stack.system.federatedTokenCalls();
    const { admitted } = expectLimited(await burst(60, spoofs), 200);
    expect((await stack.system.federatedTokenCalls()) - before).toBe(admitted);
  });

  test('the refresh route shares the same budget', async () => {
    expectLimited(await burst(60, spoofs, REFRESH), 401);
  });

  test('creating conversations shares the same budget: a script holding one token gets 429 for the excess, and Postgres holds only the admitted ones', async () => {
    const account = await stack.system.createAccount();
    const localAddress = freshAddress();
    const minted = await send(stack.edge.port, { method: 'POST', path: TOKEN, body: JSON.stringify({ deploymentKey: account.deploymentKey }), headers: { ...browserHeaders(), 'content-type': 'application/json' }, localAddress });
    expect(minted.status).toBe(200);
    const { token } = minted.json<{ token: string }>();
    sent += 1 + 60;
    const started = performance.now();
    const responses = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        send(stack.edge.port, { method: 'POST', path: CHANNELS, body: '{}', headers: { ...browserHeaders(), ...spoofs(i), 'content-type': 'application/json', authorization: `Bearer ${token}` }, localAddress }),
      ),
    );
    lastBurstMs = performance.now() - started;
    const { admitted } = expectLimited(responses, 201);
    const { rows } = await stack.system.db.query<{ n: number }>('SELECT count(*)::int AS n FROM conversations WHERE account_sid = $1', [account.accountSid]);
    expect(rows[0]?.n).toBe(admitted);
  });

  test('once the address slows down, it is served again (Retry-After is honest)', async () => {
    const from = freshAddress();
    const limited = (await burst(40, undefined, TOKEN, from)).find((r) => r.status === 429);
    expect(limited).toBeDefined();
    await delay(Number(limited!.headers['retry-after']) * 1000);
    const again = await burst(1, undefined, TOKEN, from);
    expect(again[0]!.status).toBe(200);
  });

  test('after everything above, no log line of any service or of nginx holds a secret', () => {
    expectNoLeaks(stack);
  });
});
