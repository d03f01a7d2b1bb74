import { WEBCHAT_REFRESH_PATH, WEBCHAT_TOKEN_PATH } from '@webchat/contracts';
import { browserHeaders, startSystem, type SystemUnderTest } from '@webchat/test-harness';
import { call } from '@webchat/test-harness';

// The orchestrator's clock, moved forward to age a session without waiting (scoped-auth keeps real time).
let offsetSeconds = 0;
let system: SystemUnderTest;
const SESSION_MAX_AGE = 2 * 3600;
beforeAll(async () => {
  system = await startSystem({ sessionMaxAgeSeconds: SESSION_MAX_AGE, now: () => Math.floor(Date.now() / 1000) + offsetSeconds });
});
afterAll(() => system.stop());
afterEach(() => {
  offsetSeconds = 0;
});

const mint = (deploymentKey: string) => call(`${system.orchestratorUrl}${WEBCHAT_TOKEN_PATH}`, { json: { deploymentKey }, headers: browserHeaders() });
const refresh = (deploymentKey: string, token: string) =>
  call(`${system.orchestratorUrl}${WEBCHAT_REFRESH_PATH}`, { json: { deploymentKey, token }, headers: browserHeaders() });

describe('the absolute session cap on refresh', () => {
  test('near the cap, the new token expires with the session, not a full TTL later', async () => {
    const { deploymentKey } = await system.createAccount({ tokenTtlSeconds: 3600 });
    const first = await mint(deploymentKey);
    const sessionStart = Date.now();
    offsetSeconds = SESSION_MAX_AGE - 600; // ten minutes of the session left
    const refreshed = await refresh(deploymentKey, first.body.token);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.identity).toBe(first.body.identity);
    const capEndsAt = sessionStart + SESSION_MAX_AGE * 1000;
    expect(Date.parse(refreshed.body.expiresAt)).toBeLessThanOrEqual(capEndsAt + 5_000);
    // still a refresh of the same session: the chain keeps the first token's start
    expect(Date.parse(refreshed.body.expiresAt) - Date.now()).toBeLessThan(3600 * 1000);
  });

  test('past the cap, a refresh is refused with session_expired and no token', async () => {
    const { deploymentKey } = await system.createAccount();
    const first = await mint(deploymentKey);
    const second = await refresh(deploymentKey, first.body.token);
    expect(second.status).toBe(200);
    offsetSeconds = SESSION_MAX_AGE + 1;
    const late = await refresh(deploymentKey, second.body.token);
    expect(late.status).toBe(401);
    expect(late.body.code).toBe('session_expired');
    expect(late.body.token).toBeUndefined();
  });
});
