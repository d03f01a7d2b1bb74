import { randomBytes } from 'node:crypto';
import { browserHeaders } from '@webchat/test-harness';
import { send, type RawResponse } from './support/client';
import { recordFigures } from './support/figures';
import { expectNoLeaks } from './support/log-check';
import { settings } from './support/mode';
import { CHANNELS, REFRESH, TOKEN, startStack, type Stack } from './support/stack';

type Kind = 'unknown' | 'revoked' | 'suspended';
const KINDS: Kind[] = ['unknown', 'revoked', 'suspended'];

/** What a caller can compare between two answers: status, body without the request id, headers that are not per-request. */
function fingerprintOf(response: RawResponse): string {
  const headers = Object.entries(response.headers)
    .filter(([name]) => !['date', 'x-request-id', 'content-length', 'connection', 'keep-alive'].includes(name))
    .sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify({ status: response.status, body: response.text.replace(/"requestId":"[^"]*"/, ''), headers, length: response.text.replace(/"requestId":"[^"]*"/, '').length });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

describe('deployment key enumeration: unknown, revoked and suspended cannot be told apart through Starship', () => {
  let stack: Stack;
  const keys = {} as Record<Kind, string>;
  let suspendedToken: string;
  let sent = 0;

  beforeAll(async () => {
    // The production default: account configuration cached (kept exact by LISTEN/NOTIFY).
    stack = await startStack({ accountCache: true });
    const { system } = stack;
    keys.unknown = `dk_${randomBytes(24).toString('base64url')}`;
    const revoked = await system.createAccount({ allowedOrigins: ['https://shop.example.com'] });
    await system.accounts.revokeDeploymentKey(revoked.keyId);
    keys.revoked = revoked.deploymentKey;
    const suspended = await system.createAccount({ allowedOrigins: ['https://shop.example.com'] });
    suspendedToken = (await stack.mint(suspended.deploymentKey, { ...browserHeaders(), origin: 'https://shop.example.com' })).token;
    await system.accounts.setAccountStatus(suspended.accountSid, 'suspended');
    keys.suspended = suspended.deploymentKey;
    stack.watch.add('deployment key', keys.unknown);
  });

  afterAll(async () => {
    recordFigures('enumeration', { requestsSent: sent, requestsAnswered: sent });
    await stack?.stop();
  });

  const ask = (path: string, kind: Kind, origin: string) => {
    sent += 1;
    const body = path === TOKEN ? { deploymentKey: keys[kind] } : { deploymentKey: keys[kind], token: suspendedToken };
    return send(stack.edge.port, { method: 'POST', path, body: JSON.stringify(body), headers: { ...browserHeaders(), 'content-type': 'application/json', origin } });
  };

  test.each([
    ['the token route, from the account\'s own origin', TOKEN, 'https://shop.example.com'],
    ['the token route, from another origin', TOKEN, 'https://evil.example'],
    ['the refresh route', REFRESH, 'https://shop.example.com'],
  ])('on %s the three answers are identical apart from the request id', async (_name, path, origin) => {
    const answers = await Promise.all(KINDS.map((kind) => ask(path, kind, origin)));
    for (const answer of answers) expect({ status: answer.status, code: answer.json<{ code: string }>().code }).toEqual({ status: 403, code: 'deployment_key_invalid' });
    expect(new Set(answers.map(fingerprintOf)).size).toBe(1);
  });

  test('a token of a suspended account is refused on WebChannels with the same answer as a dead key', async () => {
    sent += 1;
    const answer = await send(stack.edge.port, { method: 'POST', path: CHANNELS, body: '{}', headers: { ...browserHeaders(), 'content-type': 'application/json', authorization: `Bearer ${suspendedToken}` } });
    expect({ status: answer.status, code: answer.json<{ code: string }>().code }).toEqual({ status: 403, code: 'deployment_key_invalid' });
  });

  test(`the answer times are alike: medians over ${settings.enumerationRounds} interleaved rounds differ by less than a generous margin`, async () => {
    const times: Record<Kind, number[]> = { unknown: [], revoked: [], suspended: [] };
    // One warm-up round each: the first lookup of a key fills the cache, later ones are served from it.
    for (const kind of KINDS) await ask(TOKEN, kind, 'https://shop.example.com');
    for (let round = 0; round < settings.enumerationRounds; round++) {
      // A different order each round, so drift on a busy machine does not favour one kind.
      const order = [...KINDS].sort(() => Math.random() - 0.5);
      for (const kind of order) times[kind].push((await ask(TOKEN, kind, 'https://shop.example.com')).ms);
    }
    const medians = Object.fromEntries(KINDS.map((kind) => [kind, median(times[kind])])) as Record<Kind, number>;
    const overall = median(Object.values(times).flat());
    // Generous on purpose: this catches a different code path (an extra query, a crypto step), not jitter.
    const margin = Math.max(5, overall);
    recordFigures('enumeration', { notes: { medianMs: medians, marginMs: margin, rounds: settings.enumerationRounds } });
    for (const a of KINDS) for (const b of KINDS) expect({ a, b, diff: Math.abs(medians[a] - medians[b]) < margin, medians }).toEqual({ a, b, diff: true, medians });
  });

  test('after everything above, no log line of any service or of nginx holds a secret', () => {
    expectNoLeaks(stack);
  });
});
