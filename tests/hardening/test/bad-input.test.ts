import type { RawRequest } from '@webchat/test-harness';
import { browserHeaders } from '@webchat/test-harness';
import { rawBody, rawExchange, send, type RawResponse } from './support/client';
import { BAD_INPUT_CASES, type BadInputCase, type BadInputContext } from './support/bad-input-cases';
import { recordFigures } from './support/figures';
import { expectNoLeaks } from './support/log-check';
import { expectProblem } from './support/problems';
import { CHANNELS, startStack, type RowCounts, type Stack } from './support/stack';

/** Nothing a refused request does may take as long as a downstream timeout (2 s in the test system). */
const REFUSAL_DEADLINE_MS = 3000;

describe('bad input through Starship: every public route refuses it with its documented problem, fast, and writes nothing', () => {
  let stack: Stack;
  let context: BadInputContext;
  let tried = 0;
  let passed = 0;

  beforeAll(async () => {
    stack = await startStack();
    const open = await stack.system.createAccount({ allowedOrigins: [] });
    const restricted = await stack.system.createAccount({ allowedOrigins: ['https://shop.example.com'] });
    const { token } = await stack.mint(open.deploymentKey);
    const conversationSid = await stack.createChannel(token);
    context = { deploymentKey: open.deploymentKey, restrictedKey: restricted.deploymentKey, token, conversationSid };
  });

  afterAll(async () => {
    recordFigures('bad-input', { casesTried: tried, casesPassed: passed });
    await stack?.stop();
  });

  test('the table covers at least 40 cases across every public route', () => {
    expect(BAD_INPUT_CASES.length).toBeGreaterThanOrEqual(40);
    const routes = new Set(BAD_INPUT_CASES.map((c) => c.route));
    expect([...routes].sort()).toEqual(['create', 'edge', 'get', 'list-messages', 'post-message', 'refresh', 'token'].sort());
  });

  async function sendCase(badCase: BadInputCase): Promise<RawResponse & { ms: number }> {
    const built = badCase.build(context);
    if (!('raw' in built)) return send(stack.edge.port, withDefaults(built));
    const raw = await rawExchange(stack.edge.port, built.raw);
    return fromRaw(raw.text, raw.ms);
  }

  test.each(BAD_INPUT_CASES.map((c) => [`${c.route}: ${c.name}`, c] as const))(
    'when %s, then the documented problem, no 500, nothing written',
    async (_name, badCase) => {
      tried += 1;
      const before: RowCounts = await stack.rowCounts();
      const response = await sendCase(badCase);
      stack.watch.add('token', ...[...response.text.matchAll(/eyJ[A-Za-z0-9._-]{20,}/g)].map((m) => m[0]));
      expect(response.status).not.toBe(500);
      expectProblem(response, badCase.status, badCase.code);
      expect(response.ms).toBeLessThan(REFUSAL_DEADLINE_MS);
      expect(await stack.rowCounts()).toEqual(before);
      passed += 1;
    },
  );

  test('no body key reached an object prototype in the orchestrator (it runs in this process)', () => {
    const probe: Record<string, unknown> = {};
    expect(probe.polluted).toBeUndefined();
    expect(probe.isAdmin).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  test('odd but valid text (SQL-looking, unicode, emoji) is stored verbatim and nothing else changes', async () => {
    const before = await stack.rowCounts();
    const odd = `'; DROP TABLE conversations; -- ☃ 👩🏽‍💻 ‮ ${'ä'.repeat(10)}`;
    const created = await send(stack.edge.port, {
      method: 'POST',
      path: CHANNELS,
      body: JSON.stringify({ customerFriendlyName: odd.slice(0, 200), preEngagementData: { question: odd, [`k'--`]: odd } }),
      headers: { ...browserHeaders(), 'content-type': 'application/json', authorization: `Bearer ${context.token}` },
    });
    expect(created.status).toBe(201);
    const sid = created.json<{ conversationSid: string }>().conversationSid;
    const read = await send(stack.edge.port, { path: `${CHANNELS}/${sid}/Messages`, headers: { ...browserHeaders(), authorization: `Bearer ${context.token}` } });
    expect(read.json<{ messages: Array<{ body: string }> }>().messages.map((m) => m.body)).toContain(odd.trim());
    const after = await stack.rowCounts();
    expect(after).toEqual({ ...before, conversations: before.conversations + 1, messages: before.messages + 2 });
  });

  test('after everything above, no log line of any service or of nginx holds a secret', () => {
    expectNoLeaks(stack);
  });
});

/** A browser's headers unless the case says otherwise; a fresh connection each time. */
function withDefaults(request: RawRequest): RawRequest {
  return { ...request, headers: { ...browserHeaders(), ...request.headers } };
}

/** A raw HTTP/1.1 answer in the shape the other cases get (single-chunk bodies only: nginx's own errors). */
function fromRaw(text: string, ms: number): RawResponse & { ms: number } {
  const head = text.slice(0, Math.max(0, text.indexOf('\r\n\r\n')));
  const lines = head.split('\r\n').slice(1);
  const pairs = lines.map((line) => [line.slice(0, line.indexOf(':')).trim(), line.slice(line.indexOf(':') + 1).trim()] as const);
  const headers: Record<string, string> = {};
  for (const [name, value] of pairs) headers[name.toLowerCase()] = value;
  const body = headers['transfer-encoding'] === 'chunked' ? dechunk(rawBody(text)) : rawBody(text);
  return {
    status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0),
    headers,
    all: (name) => pairs.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v),
    text: body,
    json: <T>() => JSON.parse(body) as T,
    ms,
  };
}

function dechunk(body: string): string {
  let out = '';
  let rest = body;
  for (;;) {
    const at = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, at), 16);
    if (!size) return out;
    out += rest.slice(at + 2, at + 2 + size);
    rest = rest.slice(at + 2 + size + 2);
  }
}
