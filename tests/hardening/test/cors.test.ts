import { browserHeaders } from '@webchat/test-harness';
import type { RawRequest } from '@webchat/test-harness';
import { send, type RawResponse } from './support/client';
import { recordFigures } from './support/figures';
import { expectNoLeaks } from './support/log-check';
import { CHANNELS, REFRESH, TOKEN, noteTokens, startStack, type RowCounts, type Stack } from './support/stack';

const ALLOWED = 'https://shop.example.com';

/** Origins a browser could send for a page that is not the account's, and tricks that look close. */
const DISALLOWED_ORIGINS = [
  'https://evil.example',
  'null',
  'https://shop.example.com.evil.example',
  'https://evilshop.example.com',
  'http://shop.example.com',
  'https://shop.example.com:8443',
  'https://example.org',
  'https://evil-example.org',
  'https://shop.example.com@evil.example',
  'https://shop.example.com%2f.evil.example',
];

/** What a page's script could read: a response whose ACAO is its own origin or `*`. */
const readableBy = (response: RawResponse, origin: string) => {
  const acao = response.all('access-control-allow-origin');
  return acao.length === 1 && (acao[0] === origin || acao[0] === '*');
};

/** Token or conversation data: what a refused origin must never be able to read. */
const GUEST_DATA = /"(token|identity|conversationSid|messages|messageSid|welcomeMessage|expiresAt)"\s*:/;

describe('CORS through Starship: a disallowed origin never gets a response it could read that carries a token or conversation data', () => {
  let stack: Stack;
  let key: string;
  let token: string;
  let conversationSid: string;
  let checked = 0;
  let passed = 0;

  beforeAll(async () => {
    stack = await startStack();
    const account = await stack.system.createAccount({ allowedOrigins: [ALLOWED, 'https://*.example.org'] });
    key = account.deploymentKey;
    ({ token } = await stack.mint(key, { ...browserHeaders(), origin: ALLOWED }));
    conversationSid = await stack.createChannel(token, { ...browserHeaders(), authorization: `Bearer ${token}`, origin: ALLOWED });
  });

  afterAll(async () => {
    recordFigures('cors', { casesTried: checked, casesPassed: passed });
    await stack?.stop();
  });

  /** Every public route, as the widget calls it; `origin` replaced per case. */
  const routes = (): Array<[string, RawRequest]> => {
    const json = { 'content-type': 'application/json' };
    const guest = { ...browserHeaders(), authorization: `Bearer ${token}` };
    return [
      ['token', { method: 'POST', path: TOKEN, body: JSON.stringify({ deploymentKey: key }), headers: { ...browserHeaders(), ...json } }],
      ['refresh', { method: 'POST', path: REFRESH, body: JSON.stringify({ deploymentKey: key, token }), headers: { ...browserHeaders(), ...json } }],
      ['create', { method: 'POST', path: CHANNELS, body: '{}', headers: { ...guest, ...json } }],
      ['get', { path: `${CHANNELS}/${conversationSid}`, headers: guest }],
      ['list messages', { path: `${CHANNELS}/${conversationSid}/Messages`, headers: guest }],
      ['post message', { method: 'POST', path: `${CHANNELS}/${conversationSid}/Messages`, body: JSON.stringify({ body: 'hi' }), headers: { ...guest, ...json } }],
      ['an unknown key', { method: 'POST', path: TOKEN, body: JSON.stringify({ deploymentKey: `dk_${'U'.repeat(32)}` }), headers: { ...browserHeaders(), ...json } }],
      ['a bad token', { method: 'POST', path: CHANNELS, body: '{}', headers: { ...browserHeaders(), ...json, authorization: 'Bearer x.y.z' } }],
      ['an oversized body (nginx 413)', { method: 'POST', path: TOKEN, body: JSON.stringify({ deploymentKey: key, q: 'x'.repeat(40_000) }), headers: { ...browserHeaders(), ...json } }],
      ['an unknown path (nginx 404)', { path: '/v2/Nope', headers: browserHeaders() }],
    ];
  };

  /** Sends one request from `origin` and checks what its page could read; returns the response. */
  async function fromOrigin(name: string, request: RawRequest, origin: string): Promise<RawResponse> {
    const headers = { ...request.headers } as Record<string, string>;
    if (origin !== '') headers.origin = origin;
    const response = await send(stack.edge.port, { ...request, headers });
    noteTokens(stack.watch, response.text);
    checked += 1;
    const context = `${name} from ${origin || '(no Origin)'}: ${response.status} ACAO=${response.all('access-control-allow-origin').join('|')}`;
    expect({ context, acaoHeaders: response.all('access-control-allow-origin').length }).toEqual({ context, acaoHeaders: 1 });
    expect({ context, credentials: response.headers['access-control-allow-credentials'] }).toEqual({ context, credentials: undefined });
    if (readableBy(response, origin)) {
      expect({ context, readableGuestData: GUEST_DATA.test(response.text) }).toEqual({ context, readableGuestData: false });
      expect({ context, success: response.status < 300 && request.method !== 'OPTIONS' && response.text !== '' }).toEqual({ context, success: false });
    }
    passed += 1;
    return response;
  }

  test.each(DISALLOWED_ORIGINS)('when the page is on %s, then no route answers it anything readable with guest data, and nothing is minted or written', async (origin) => {
    const before: RowCounts = await stack.rowCounts();
    const minted = await stack.system.federatedTokenCalls();
    for (const [name, request] of routes()) {
      const response = await fromOrigin(name, request, origin);
      if (['token', 'refresh', 'create', 'get', 'list messages', 'post message'].includes(name)) {
        expect({ name, status: response.status, code: response.json<{ code: string }>().code }).toEqual({ name, status: 403, code: 'origin_not_allowed' });
      }
    }
    expect(await stack.system.federatedTokenCalls()).toBe(minted);
    expect(await stack.rowCounts()).toEqual(before);
  });

  test('when a request has no Origin at all (not a browser page), then it is refused like a disallowed one', async () => {
    const before = await stack.rowCounts();
    for (const [name, request] of routes().slice(0, 6)) {
      const response = await fromOrigin(name, request, '');
      expect({ name, status: response.status }).toEqual({ name, status: 403 });
      expect(response.all('access-control-allow-origin')).toEqual([`${ALLOWED},https://*.example.org`]);
    }
    expect(await stack.rowCounts()).toEqual(before);
  });

  test.each([...DISALLOWED_ORIGINS, ALLOWED])('a preflight from %s carries no guest data and one ACAO, for every route', async (origin) => {
    for (const [name, request] of routes()) {
      const response = await fromOrigin(`preflight of ${name}`, {
        method: 'OPTIONS',
        path: request.path,
        headers: { 'access-control-request-method': request.method ?? 'GET', 'access-control-request-headers': 'authorization,content-type,x-webchat-sec-usersettings' },
      }, origin);
      expect(GUEST_DATA.test(response.text)).toBe(false);
    }
  });

  test('from the allowed origin every route works and ACAO is exactly that origin (the checks above are not vacuous)', async () => {
    for (const [name, request] of routes().slice(0, 6)) {
      const response = await send(stack.edge.port, { ...request, headers: { ...request.headers, origin: ALLOWED } });
      noteTokens(stack.watch, response.text);
      expect({ name, status: response.status }).toEqual({ name, status: name === 'create' || name === 'post message' ? 201 : 200 });
      expect(response.all('access-control-allow-origin')).toEqual([ALLOWED]);
      expect(String(response.headers.vary)).toContain('Origin');
      expect(response.headers['cache-control']).toBe('no-store');
    }
  });

  test("when a token of a restricted account is refreshed with the key of an account open to every origin, then the answer is readable but carries no token", async () => {
    const open = await stack.system.createAccount({ allowedOrigins: [] });
    const response = await fromOrigin('refresh across accounts', {
      method: 'POST',
      path: REFRESH,
      body: JSON.stringify({ deploymentKey: open.deploymentKey, token }),
      headers: { ...browserHeaders(), 'content-type': 'application/json' },
    }, 'https://evil.example');
    expect(response.status).toBe(403);
    expect(response.json<{ code: string }>().code).toBe('account_mismatch');
  });

  test('after everything above, no log line of any service or of nginx holds a secret', () => {
    expectNoLeaks(stack);
  });
});
