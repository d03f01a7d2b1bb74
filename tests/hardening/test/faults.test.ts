import { setTimeout as delay } from 'node:timers/promises';
import type { ErrorCode } from '@webchat/contracts';
import { getFreePort } from '@webchat/testkit';
import { removeOwnClusters, startOwnCluster, type OwnCluster } from '@webchat/test-harness';
import { captureLogs } from '@webchat/test-harness';
import { expectGenuine, expectRecovery, judgeAnswers, prepareTraffic, underLoad, type FaultOutcome } from './support/fault-run';
import { recordFigures } from './support/figures';
import { FAKE_SDK_KEY, fakeLaunchDarkly, launchDarklyAt } from './support/launchdarkly';
import { expectNoLeaks } from './support/log-check';
import { settings } from './support/mode';
import { hostFederatedAuth, hostScopedAuth, mintedCount, type HostedFederatedAuth, type HostedScopedAuth } from './support/services';
import { startStack, type Stack } from './support/stack';

/** Beyond both callers' 2 s deadlines (federated-auth's and the orchestrator's calls to scoped-auth). */
const SLOW_MS = 3000;

interface Fault {
  name: string;
  inject(): Promise<void>;
  remove(): Promise<void>;
  /** Codes that prove the fault was hit (at least one answer each). */
  mustSee: ErrorCode[];
}

function record(name: string, outcome: FaultOutcome, survived: boolean, extra: Record<string, unknown> = {}): void {
  const answered = outcome.results.filter((r) => r.status !== undefined).length;
  recordFigures('faults', {
    faultsTried: 1,
    faultsSurvived: survived ? 1 : 0,
    requestsSent: outcome.results.length,
    requestsAnswered: answered,
    notes: { [name]: { answers: outcome.tally, ...extra } },
  });
}

describe(`faults under light load (${settings.faultLoad.workers} workers, ${settings.faultLoad.durationMs} ms) through Starship`, () => {
  let cluster: OwnCluster;
  let stack: Stack;
  let scoped: HostedScopedAuth;
  let federated: HostedFederatedAuth;
  let deploymentKey: string;

  beforeAll(async () => {
    cluster = await startOwnCluster('hardening-faults-');
    const federatedPort = await getFreePort();
    // As in production: the orchestrator waits longer for federated-auth (3 s) than federated-auth for scoped-auth (2 s).
    stack = await startStack({ databaseUrl: cluster.url, accountCache: true, federatedAuthUrl: `http://127.0.0.1:${federatedPort}`, federatedAuthTimeoutMs: 3000 });
    federated = await hostFederatedAuth(stack.system, federatedPort);
    scoped = await hostScopedAuth(stack.system);
    stack.extraLogs.set('federated-auth (hosted)', federated.logs);
    stack.extraLogs.set('scoped-auth (hosted)', scoped.logs);
    deploymentKey = (await stack.system.createAccount()).deploymentKey;
  }, 60_000);

  afterAll(async () => {
    await federated?.close();
    await scoped?.host.stop();
    await stack?.stop();
    await cluster?.remove();
    // The cluster even when beforeAll timed out before `cluster` was set.
    await removeOwnClusters();
  });

  const faults = (): Fault[] => [
    {
      name: 'scoped-auth is stopped',
      inject: () => scoped.host.stop(),
      remove: () => scoped.host.start(),
      mustSee: ['upstream_unavailable'],
    },
    {
      name: `scoped-auth answers after ${SLOW_MS} ms (beyond the timeouts)`,
      inject: async () => scoped.host.setDelay(SLOW_MS),
      remove: async () => scoped.host.setDelay(0),
      mustSee: ['upstream_timeout'],
    },
    {
      name: 'federated-auth is stopped',
      inject: () => federated.host.stop(),
      remove: () => federated.host.start(),
      mustSee: ['upstream_unavailable'],
    },
    {
      name: 'Postgres is stopped, then started again',
      inject: () => cluster.stop(),
      remove: () => cluster.restart(),
      mustSee: ['store_unavailable'],
    },
    {
      name: 'nginx is reloaded three times',
      inject: async () => {
        for (let i = 0; i < 3; i++) {
          await stack.edge.nginx.reload();
          await delay(100);
        }
      },
      remove: async () => {},
      mustSee: [],
    },
  ];

  test.each(faults().map((f) => [f.name]))(
    'when %s, then every request gets an answer in time, success or a documented 502/503/504 problem, no token is handed out by a failed request, and it recovers without a restart',
    async (name) => {
      const fault = faults().find((f) => f.name === name)!;
      const traffic = await prepareTraffic(stack, deploymentKey);
      const rowsBefore = await stack.system.db.query<{ n: number }>('SELECT count(*)::int AS n FROM conversations');
      const mintedBefore = mintedCount([...stack.system.logs.scopedAuth(), ...scoped.logs()]);
      let outcome: FaultOutcome | undefined;
      let survived = false;
      try {
        outcome = await underLoad(stack, traffic, fault);
        judgeAnswers(outcome, fault.mustSee);
        const recovery = await expectRecovery(stack, traffic);
        await expectGenuine(stack, [...outcome.delivered, ...recovery.tokens], scoped.host.url);
        // Every conversation written belongs to a 201 the client saw: none half-created, none lost.
        const rowsAfter = await stack.system.db.query<{ n: number }>('SELECT count(*)::int AS n FROM conversations');
        expect(rowsAfter.rows[0]!.n - rowsBefore.rows[0]!.n).toBe(outcome.conversationsCreated + recovery.created);
        // Every token handed out was minted (none invented); the rest were minted for callers that had
        // given up (a slow answer): stateless, never delivered, so they give no one access.
        await scoped.host.drained();
        const minted = mintedCount([...stack.system.logs.scopedAuth(), ...scoped.logs()]) - mintedBefore;
        const handedOut = outcome.delivered.length + recovery.tokens.length;
        expect(minted).toBeGreaterThanOrEqual(handedOut);
        survived = true;
        record(name, outcome, true, { recoveredInMs: recovery.ms, mintedButNeverDelivered: minted - handedOut });
      } finally {
        if (!survived && outcome) record(name, outcome, false);
        scoped.host.setDelay(0);
        if (!scoped.host.running) await scoped.host.start();
        if (!federated.host.running) await federated.host.start();
      }
    },
    60_000,
  );

  test('after every fault above, no log line of any service or of nginx holds a secret', () => {
    expectNoLeaks(stack);
  });
});

describe('when LaunchDarkly is unreachable (an SDK key is set, nothing answers)', () => {
  let stack: Stack;
  let ldPort: number;
  let fakeLd: Awaited<ReturnType<typeof fakeLaunchDarkly>> | undefined;
  const ldLogs = captureLogs('orchestrator');

  beforeAll(async () => {
    ldPort = await getFreePort();
    stack = await startStack({ ldClient: launchDarklyAt(ldPort, ldLogs.logger), fallback: true });
    stack.extraLogs.set('orchestrator (launchdarkly sdk)', ldLogs.lines);
    stack.watch.add('key material', FAKE_SDK_KEY);
  });

  afterAll(async () => {
    await stack?.stop();
    await fakeLd?.close();
  });

  const validateWithoutFingerprint = async (token: string) => {
    const reply = await stack.system.scopedAuth.validate(token);
    return reply.status === 200 ? 'unbound' : reply.body.code;
  };

  test('then every request is served on the secure fallback (bound tokens), none hangs, and once LaunchDarkly answers its value applies without a restart', async () => {
    const { deploymentKey } = await stack.system.createAccount({ fingerprintSensitivity: 'medium' });
    const traffic = await prepareTraffic(stack, deploymentKey);
    const outcome = await underLoad(stack, traffic, {
      inject: async () => {},
      remove: async () => {
        // LaunchDarkly comes back, and says the flag is off for everyone.
        fakeLd = await fakeLaunchDarkly(ldPort, false);
      },
    });
    judgeAnswers(outcome, []);
    expect(outcome.results.every((r) => r.status !== undefined && r.status < 300)).toBe(true);
    // Minted while LaunchDarkly was away: the fallback (on) bound them to the client.
    const early = outcome.delivered.slice(0, 3);
    expect(early.length).toBeGreaterThan(0);
    for (const token of early) {
      stack.watch.add('token', token);
      expect(await validateWithoutFingerprint(token)).toBe('fingerprint_required');
    }
    // The SDK reconnects by itself; the orchestrator then follows LaunchDarkly's value (off: unbound tokens).
    const started = Date.now();
    let state = '';
    while (Date.now() - started < 20_000) {
      state = await validateWithoutFingerprint((await stack.mint(deploymentKey)).token);
      if (state === 'unbound') break;
      await delay(200);
    }
    expect(state).toBe('unbound');
    expect(fakeLd!.streams()).toBeGreaterThan(0);
    record('LaunchDarkly unreachable, then back', outcome, true, { flagFollowedLaunchDarklyAfterMs: Date.now() - started });
  }, 60_000);

  test('after the above, no log line (the SDK\'s included) holds a secret', () => {
    expectNoLeaks(stack);
  });
});
