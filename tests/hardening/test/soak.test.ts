import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { createTestDatabase, getFreePort, isProcessAlive, type TestDatabase } from '@webchat/testkit';
import { privateKeyFile } from '@webchat/service-auth';
import { createAccountRepository } from '@webchat/orchestrator/src/data-access/account-repository';
import { createDatabase } from '@webchat/orchestrator/src/data-access/pool';
import { browserHeaders } from '@webchat/test-harness';
import { startEdge, type EdgeUnderTest } from '@webchat/test-harness';
import { runAutocannon, type ChainRequest, type LoadResult as AutocannonResult } from './support/autocannon';
import { pacedChains, type PacedResult, type Step } from './support/paced';
import { FIGURES_DIR, recordFigures } from './support/figures';
import { SecretWatch, watchSignals, type LogLine } from '@webchat/test-harness';
import { expectNoLeaksIn } from './support/log-check';
import { MODE, settings } from './support/mode';
import { ProcessSampler } from './support/memory';
import { COLLECTABLE, spawnService, writeKeyFiles, type ServiceProcessHandle } from './support/processes';
import { CHANNELS, REFRESH, TOKEN } from './support/stack';

const { soak } = settings;
/**
 * The issue's bound on growth after the warm-up. Node's RSS is a saw-tooth under load (the heap grows until a
 * full collection, which a short run may not see at all) and even at rest after a forced collection it moves
 * +-20% with the allocator's page retention while the live heap stays flat. So the bound is checked twice:
 * resting RSS after the soak against the warm-up's high-water mark, and the live heap after a full
 * collection (V8's own figure, reported after a forced collection) before and after the soak, which is what a leak lifts.
 */
const MAX_RSS_GROWTH = 0.1;
/** At rest every pooled connection has idled out; a descriptor more or less is a socket in flux, not a leak. */
const FD_SLACK = 2;

describe(`soak (${MODE} mode): the real services as separate processes behind Starship`, () => {
  let dir: string;
  let database: TestDatabase;
  let deploymentKey: string;
  let services: ServiceProcessHandle[] = [];
  let edge: EdgeUnderTest;
  let sampler: ProcessSampler;
  const watch = new SecretWatch();
  let maxRequestsPerSecond = 0;
  /** The first few non-2xx answers while measuring, with what the chain held. */
  const refusals: string[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hardening-soak-'));
    const keys = writeKeyFiles(dir);
    watch.add('key material', ...keys.secrets);
    database = await createTestDatabase();
    const db = createDatabase({ connectionString: database.url, max: 1 });
    try {
      const accounts = createAccountRepository(db);
      const account = await accounts.createAccount({ friendlyName: 'Soak' });
      deploymentKey = (await accounts.issueDeploymentKey(account.accountSid)).key;
      await accounts.updateConfiguration(account.accountSid, { allowedOrigins: [], fingerprintSensitivity: 'medium' });
    } finally {
      await db.close();
    }
    watch.add('deployment key', deploymentKey);
    watchSignals(watch, browserHeaders());
    const fingerprintSecret = `soak-${Math.random().toString(36).slice(2)}-${'f'.repeat(40)}`;
    watch.add('key material', fingerprintSecret);

    const [scopedPort, federatedPort, orchestratorPort] = [await getFreePort(), await getFreePort(), await getFreePort()];
    const privateKey = (name: string) => `@${privateKeyFile(keys.serviceKeysDir, name)}`;
    // Instrumentation only: a forced full collection at rest, and the live heap it leaves reported beside the log.
    const nodeArgs = COLLECTABLE;
    const scoped = spawnService('scoped-auth', scopedPort, {
      TOKEN_SIGNING_KEYS: keys.signingDir,
      TOKEN_ENCRYPTION_KEYS: keys.encryptionDir,
      SERVICE_AUTH_PUBLIC_KEYS_DIR: keys.serviceKeysDir,
      LOG_IDENTITY_KEY: keys.logIdentityKey,
    }, dir, nodeArgs);
    const federated = spawnService('federated-auth', federatedPort, {
      SCOPED_AUTH_URL: `http://127.0.0.1:${scopedPort}`,
      SERVICE_AUTH_PRIVATE_KEY: privateKey('federated-auth'),
      SERVICE_AUTH_PUBLIC_KEYS_DIR: keys.serviceKeysDir,
      LOG_IDENTITY_KEY: keys.logIdentityKey,
    }, dir, nodeArgs);
    const orchestrator = spawnService('orchestrator', orchestratorPort, {
      DATABASE_URL: database.url,
      FEDERATED_AUTH_URL: `http://127.0.0.1:${federatedPort}`,
      SCOPED_AUTH_URL: `http://127.0.0.1:${scopedPort}`,
      SERVICE_AUTH_PRIVATE_KEY: privateKey('orchestrator'),
      FINGERPRINT_SECRET: fingerprintSecret,
      IDENTITY_SECRETS_KEY: randomBytes(32).toString('base64url'),
      LOG_IDENTITY_KEY: keys.logIdentityKey,
    }, dir, nodeArgs);
    const started = await Promise.allSettled([scoped, federated, orchestrator]);
    services = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    // Every request comes from this one address: the per-IP limit is the rate-limit suite's business.
    edge = await startEdge({ orchestratorUpstream: `127.0.0.1:${orchestratorPort}`, tokenRate: '100000r/s', tokenBurst: 100_000, tokenUseRate: '100000r/s', tokenUseBurst: 100_000 });
    const watched = [...services.map((s) => ({ name: s.name, pid: s.pid, logFile: s.logFile, collect: () => s.collect() })), ...(await nginxProcesses(edge))];
    sampler = new ProcessSampler(watched, soak.sampleEveryMs);
  }, 120_000);

  afterAll(async () => {
    sampler?.stop();
    await edge?.stop();
    await Promise.all(services.map((s) => s.stop()));
    await database?.drop();
    if (dir && process.env.HARDENING_KEEP_SOAK_LOGS) {
      const keep = path.join(FIGURES_DIR, MODE, 'soak-logs');
      fs.mkdirSync(keep, { recursive: true });
      for (const service of services) fs.copyFileSync(service.logFile, path.join(keep, path.basename(service.logFile)));
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The widget's whole conversation, as one autocannon request chain (closed loop): mint, create, read, refresh. */
  function guestChain(): ChainRequest[] {
    const headers = { ...browserHeaders(), 'content-type': 'application/json' };
    let kept = 0;
    const noteRefusal = (step: string) => (status: number, body: string, context: Record<string, unknown>) => {
      if (status >= 300 && refusals.length < 10) refusals.push(`${step} ${status} ${body.slice(0, 160)} (context: token ${context.token ? 'set' : 'unset'}, sid ${String(context.sid)})`);
    };
    const keepToken = (body: string) => {
      // A handful of real tokens for the log scan; every other token is caught by its shape.
      if (kept < 5 && body.includes('"token"')) {
        kept += 1;
        watch.add('token', (JSON.parse(body) as { token: string }).token);
      }
    };
    return [
      {
        method: 'POST',
        path: TOKEN,
        headers,
        body: JSON.stringify({ deploymentKey }),
        onResponse: (status, body, context) => {
          noteRefusal('mint')(status, body, context);
          if (status === 200) context.token = (JSON.parse(body) as { token: string }).token;
          keepToken(body);
        },
      },
      {
        method: 'POST',
        path: CHANNELS,
        body: '{}',
        setupRequest: (request, context) => ({ ...request, headers: { ...headers, authorization: `Bearer ${String(context.token)}` } }),
        onResponse: (status, body, context) => {
          noteRefusal('create')(status, body, context);
          if (status === 201) context.sid = (JSON.parse(body) as { conversationSid: string }).conversationSid;
        },
      },
      {
        method: 'GET',
        setupRequest: (request, context) => ({
          ...request,
          path: `${CHANNELS}/${String(context.sid)}/Messages`,
          headers: { ...browserHeaders(), authorization: `Bearer ${String(context.token)}` },
        }),
        onResponse: (status, body, context) => noteRefusal('read')(status, body, context),
      },
      {
        method: 'POST',
        path: REFRESH,
        headers,
        setupRequest: (request, context) => ({ ...request, body: JSON.stringify({ deploymentKey, token: context.token }) }),
        onResponse: (status, body, context) => {
          noteRefusal('refresh')(status, body, context);
          keepToken(body);
        },
      },
    ];
  }

  /** Closed loop, as fast as the system answers: the maximum throughput. */
  const run = (durationMs: number): Promise<AutocannonResult> =>
    runAutocannon({
      url: `http://127.0.0.1:${edge.port}`,
      connections: soak.connections,
      duration: durationMs / 1000,
      timeout: 10,
      requests: guestChain(),
      // nginx closes a kept-alive connection after 1000 requests (keepalive_requests) and autocannon
      // writes the next request into it regardless, losing it and shifting its chain: reconnect first,
      // after a whole number of chains.
      reconnectRate: 400,
    });

  /** The same chain for the open-loop soak: a new guest every 4/rate seconds. */
  const guestSteps = (): Step[] => {
    const json = { ...browserHeaders(), 'content-type': 'application/json' };
    const keep = (field: string, as: string) => (body: string, context: Record<string, string>) => {
      context[as] = (JSON.parse(body) as Record<string, string>)[field]!;
    };
    return [
      { name: 'mint', expect: 200, build: () => ({ method: 'POST', path: TOKEN, headers: json, body: JSON.stringify({ deploymentKey }) }), keep: keep('token', 'token') },
      { name: 'create', expect: 201, build: (c) => ({ method: 'POST', path: CHANNELS, headers: { ...json, authorization: `Bearer ${c.token}` }, body: '{}' }), keep: keep('conversationSid', 'sid') },
      { name: 'read', expect: 200, build: (c) => ({ method: 'GET', path: `${CHANNELS}/${c.sid}/Messages`, headers: { ...browserHeaders(), authorization: `Bearer ${c.token}` } }) },
      { name: 'refresh', expect: 200, build: (c) => ({ method: 'POST', path: REFRESH, headers: json, body: JSON.stringify({ deploymentKey, token: c.token }) }) },
    ];
  };
  let keptTokens = 0;
  const paced = (durationMs: number, requestsPerSecond: number): Promise<PacedResult> =>
    pacedChains({
      port: edge.port,
      steps: guestSteps(),
      requestsPerSecond,
      durationMs,
      maxSockets: soak.connections * 4,
      onAnswer: (_step, status, body) => {
        // A handful of real tokens for the log scan; every other token is caught by its shape.
        if (status === 200 && keptTokens < 5 && body.includes('"token"')) {
          keptTokens += 1;
          watch.add('token', (JSON.parse(body) as { token: string }).token);
        }
      },
    });

  /**
   * Answered: every response autocannon got. Sent: those plus every request that got none (errors,
   * timeouts). Requests still in flight when a run's timer ends are dropped by autocannon itself, not counted.
   */
  const counted = (...results: AutocannonResult[]) => {
    const answered = results.reduce((sum, r) => sum + Object.values(r.statusCodeStats).reduce((s, { count }) => s + count, 0), 0);
    return { requestsAnswered: answered, requestsSent: answered + results.reduce((sum, r) => sum + r.errors + r.timeouts, 0) };
  };

  const summary = (result: AutocannonResult) => ({
    requests: result.requests.total,
    perSecond: Math.round(result.requests.average),
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count])),
  });

  test(`first the maximum throughput of the whole chain is measured (${soak.measureMs / 1000} s, ${soak.connections} connections, after ${soak.primeMs / 1000} s of priming)`, async () => {
    const primed = await run(soak.primeMs);
    const result = await run(soak.measureMs);
    maxRequestsPerSecond = result.requests.average;
    recordFigures('soak', { ...counted(primed, result), notes: { maxThroughput: { ...summary(result), refusals } } });
    expect(maxRequestsPerSecond).toBeGreaterThan(0);
    expect(primed.errors + result.errors).toBe(0);
  }, soak.primeMs + soak.measureMs + 30_000);

  test(`then at ${soak.loadFactor * 100}% of it for ${soak.soakMs / 1000} s after a ${soak.warmUpMs / 1000} s warm-up: 0 errors, resting RSS grows < ${MAX_RSS_GROWTH * 100}%, no descriptor growth`, async () => {
    expect(maxRequestsPerSecond).toBeGreaterThan(0);
    const rate = Math.max(1, Math.floor(maxRequestsPerSecond * soak.loadFactor));
    const warmUp = await paced(soak.warmUpMs, rate);
    // Everything so far (priming, the full-speed measurement, the warm-up) is the working set to compare with.
    const warmedUp = sampler.peaks(0, sampler.now());
    const before = await sampler.rest(soak.restMs);
    const soakFrom = sampler.now();
    const result = await paced(soak.soakMs, rate);
    const underLoad = sampler.peaks(soakFrom, sampler.now());
    const after = await sampler.rest(soak.restMs);

    const pct = (a: number, b: number) => Math.round(((a - b) / b) * 1000) / 10;
    const memory = Object.fromEntries(
      Object.keys(before).map((name) => {
        const [b, a] = [before[name]!, after[name]!];
        return [name, {
          rssMbWarmUpPeak: warmedUp[name]!.rssMb,
          rssMbSoakPeak: underLoad[name]!.rssMb,
          restingRssMbBefore: b.rssMb,
          restingRssMbAfter: a.rssMb,
          restingRssGrowthPct: pct(a.rssMb, b.rssMb),
          restingRssVsWarmUpPeakPct: pct(a.rssMb, warmedUp[name]!.rssMb),
          ...(b.heapMb !== undefined && a.heapMb !== undefined ? { liveHeapMbBefore: b.heapMb, liveHeapMbAfter: a.heapMb, liveHeapGrowthPct: pct(a.heapMb, b.heapMb) } : {}),
          restingFdsBefore: b.fds,
          restingFdsAfter: a.fds,
          fdsSoakPeak: underLoad[name]!.fds,
        }];
      }),
    );
    const { unexpected, ...outcome } = result;
    recordFigures('soak', {
      requestsSent: warmUp.sent + result.sent,
      requestsAnswered: warmUp.answered + result.answered,
      notes: { soak: { targetPerSecond: rate, warmUpS: soak.warmUpMs / 1000, soakS: soak.soakMs / 1000, ...outcome }, processes: memory, samplesSecondsMbFds: sampler.series() },
    });
    expect({ errors: warmUp.errors + result.errors, unexpected: [...warmUp.unexpected, ...unexpected], statusCodes: outcome.statusCodes }).toEqual({
      errors: 0,
      unexpected: [],
      statusCodes: outcome.statusCodes,
    });
    expect(result.sent).toBe(result.answered);
    const limit = MAX_RSS_GROWTH * 100;
    for (const [name, m] of Object.entries(memory)) {
      // RSS after the soak, collected and at rest, stays within 10% of what the warm-up already used.
      expect({ name, rssWithin10PctOfWarmUp: m.restingRssVsWarmUpPeakPct < limit, m }).toEqual({ name, rssWithin10PctOfWarmUp: true, m });
      // What a leak lifts: the live heap after a full collection (V8's own figure), before and after the soak.
      if (services.some((service) => service.name === name)) {
        expect({ name, liveHeapGrowsLessThan10Pct: m.liveHeapGrowthPct !== undefined && m.liveHeapGrowthPct < limit, m }).toEqual({ name, liveHeapGrowsLessThan10Pct: true, m });
      }
      expect({ name, noFdGrowth: m.restingFdsAfter <= m.restingFdsBefore + FD_SLACK, m }).toEqual({ name, noFdGrowth: true, m });
    }
  }, soak.warmUpMs + soak.soakMs + 2 * soak.restMs + 60_000);

  test('after the soak every service drains and exits cleanly on SIGTERM, leaving no process behind', async () => {
    const pids = services.map((s) => s.pid);
    const exits = await Promise.all(services.map(async (s) => [s.name, await s.stop()] as const));
    for (const [name, exit] of exits) expect({ name, exit }).toEqual({ name, exit: { code: 0, signal: null } });
    for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
  }, 30_000);

  test('no line the service processes or nginx logged during the soak holds a secret', async () => {
    const lines: LogLine[] = [];
    for (const service of services) for await (const line of readLines(service.logFile)) lines.push({ source: service.name, line });
    for (const name of ['access.log', 'error.log']) {
      const file = path.join(edge.prefixDir, 'logs', name);
      if (fs.existsSync(file)) for await (const line of readLines(file)) lines.push({ source: `starship ${name}`, line });
    }
    expectNoLeaksIn(watch, lines);
  }, 120_000);
});

async function* readLines(file: string): AsyncGenerator<string> {
  const input = fs.createReadStream(file, 'utf8');
  for await (const line of readline.createInterface({ input, crlfDelay: Infinity })) if (line) yield line;
}

/**
 * The nginx master and its long-lived children (workers, the cache manager), named by their title. The cache
 * loader is left out: it runs once, about a minute after start, and exits, so it has no resting state to compare.
 * Right after start the workers may not be forked yet (the master listens first), or a child may still carry the
 * master's title (it sets its own after the fork): wait until a worker is there and every child is named.
 */
async function nginxProcesses(edge: EdgeUnderTest): Promise<Array<{ name: string; pid: number }>> {
  const master = edge.nginx.pid;
  const title = (pid: number) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      return '';
    }
  };
  const children = () => {
    try {
      return fs.readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number).map((pid) => ({ pid, title: title(pid) }));
    } catch {
      return [];
    }
  };
  const ready = (list: Array<{ title: string }>) =>
    list.some((child) => child.title.includes('worker process')) && !list.some((child) => child.title.startsWith('nginx: master'));
  let listed = children();
  for (const deadline = Date.now() + 10_000; !ready(listed) && Date.now() < deadline; listed = children()) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!ready(listed)) throw new Error(`nginx has no named worker 10 s after start: ${JSON.stringify(listed)}`);
  let workers = 0;
  return [
    { name: 'starship (nginx master)', pid: master },
    ...listed
      .filter((child) => !child.title.includes('cache loader'))
      .map(({ pid, title: t }) => ({ pid, name: t.includes('cache manager') ? 'starship (nginx cache manager)' : `starship (nginx worker ${(workers += 1)})` })),
  ];
}
