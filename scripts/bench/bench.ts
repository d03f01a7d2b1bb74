/**
 * The benchmark itself: starts the system, warms every scenario up, then measures them in rounds
 * (echo, flag off, flag on, WebChannels; again; again), so machine noise hits every scenario alike and
 * each ratio compares runs made minutes apart at most. Medians over the rounds.
 */
import { cpus, release } from 'node:os';
import { runLoad, stopLoad, type LoadResult } from './load';
import { runOpenLoop, stopOpenLoop, type OpenLoopResult } from './open-loop';
import { monotonicMicros } from './profile';
import { cpuBetween, loadAverage, machineCpu, snapshotCpu, waitUntilIdle } from './proc-cpu';
import { countersBetween, readOrchestratorCounters, statementCalls, type OrchestratorCounters } from './probes';
import { BARE_SCENARIO, buildScenarios, guestHeaders, mintTokenPool, type Scenario, type ScenarioId } from './scenarios';
import { recordProcesses, startSystem, type BenchSystem } from './system';

export interface BenchOptions {
  durationSeconds: number;
  warmupSeconds: number;
  repetitions: number;
  connections: number;
  /** Offered rates (req/s) of the open-loop runs, each scenario at each rate every round; empty for none. */
  openLoopRates: number[];
  openLoopSeconds: number;
  dataDir: string;
  logLevel: string;
  scenarios: readonly ScenarioId[];
  /** node flags for the service processes (profiling). */
  serviceNodeArgs: string[];
  log: (line: string) => void;
  onKillSwitch?: (killNow: () => void) => void;
  /** Called with the processes once they run (the profile summary names them). */
  onStarted?: (processes: Array<{ name: string; pid: number }>) => void;
}

export const ROLES = ['nginx', 'hop1', 'hop2', 'hop3', 'postgres'] as const;
export type Role = (typeof ROLES)[number];

export interface RunMeasurement {
  round: number;
  requestsPerSecond: number;
  responses: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  latencyMs: LoadResult['latencyMs'];
  /** CPU time per completed request, by process role (µs). */
  cpuMicrosPerRequest: Record<Role, number> & { total: number; client: number };
  /** Of all cores together, while the run lasted. */
  machineBusyPercent: number;
  /**
   * Busy time of everything else on the machine (other people's work), as a share of all cores:
   * machine busy minus what the measured processes and the client used. High means a disturbed run.
   */
  othersBusyPercent: number;
  storeQueriesPerRequest: number;
  statementsPerRequest: number;
  counters: OrchestratorCounters;
  loadAverage1m: number;
  /** When the load ran, in monotonic µs (the clock of V8's CPU profiles), to cut profiles to it. */
  window: [number, number];
  /** Set when the counters show the run did not take the path it names. */
  pathProblem?: string;
}

export interface ScenarioSummary {
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  cpuMicrosPerRequest: Record<Role, number> & { total: number; client: number };
  storeQueriesPerRequest: number;
  statementsPerRequest: number;
  machineBusyPercent: number;
  othersBusyPercent: number;
}

/** One scenario at one offered rate: every round's run, and medians over them. */
export interface OpenLoopSummary {
  offeredRate: number;
  runs: Array<OpenLoopResult & { round: number }>;
  median: { achievedRate: number; latencyMs: { p50: number; p90: number; p99: number; max: number }; sendLagP99Ms: number };
  totals: { responses: number; non2xx: number; errors: number };
}

export interface ScenarioResult {
  id: ScenarioId;
  title: string;
  hops: [string, string, string];
  warmup: { seconds: number; responses: number; non2xx: number; errors: number; statusCodes: Record<string, number> };
  runs: RunMeasurement[];
  /** Medians over the rounds, each figure on its own. */
  median: ScenarioSummary;
  /** Totals over every measured run (and the warm-up for the failure check). */
  totals: { responses: number; non2xx: number; errors: number };
  /** Median req/s over the echo chain's median req/s, same run. */
  ratioToEcho: number | undefined;
  /** Median req/s over the bare Express chain's median req/s, same run (issue 17's yardstick). */
  ratioToBare: number | undefined;
  /** Median total CPU µs per request over the bare Express chain's, same run. */
  cpuRatioToBare: number | undefined;
  openLoop: OpenLoopSummary[];
}

export interface Machine {
  nproc: number;
  cpuModel: string;
  node: string;
  kernel: string;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  options: Omit<BenchOptions, 'log' | 'dataDir' | 'onKillSwitch' | 'onStarted'>;
  load: { atStart: [number, number, number]; atEnd: [number, number, number] };
  scenarios: ScenarioResult[];
  /** What it started (all stopped by the time the report exists). */
  processes: Array<{ name: string; pid: number }>;
  failures: string[];
  ok: boolean;
}

export function describeMachine(): Machine {
  const model = cpus()[0]?.model?.trim() || 'unknown';
  return { nproc: cpus().length, cpuModel: model, node: process.version, kernel: release() };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

let aborted: string | undefined;
/** Ctrl-C: the load in flight stops, and the run unwinds through its cleanup. */
export function abortBenchmark(reason: string): void {
  aborted ??= reason;
  stopLoad();
  stopOpenLoop();
}
const checkAborted = () => {
  if (aborted) throw new Error(`interrupted (${aborted})`);
};

/** Lets the previous load drain, so nothing of it is counted in the next run. */
async function settle(system: BenchSystem, log: (line: string) => void): Promise<void> {
  if (!(await waitUntilIdle([system.tokenRoles, system.echoRoles, ...Object.values(system.references).map((chain) => chain.roles)]))) log('the system did not go idle within 15 s; measuring anyway');
}

async function measure(system: BenchSystem, scenario: Scenario, options: BenchOptions, round: number): Promise<RunMeasurement> {
  await settle(system, options.log);
  const statementsBefore = await statementCalls(system.databaseUrl);
  const countersBefore = await readOrchestratorCounters(system.orchestratorUrl);
  const cpuBefore = snapshotCpu(scenario.roles);
  const machineBefore = machineCpu();
  const clientBefore = process.cpuUsage();
  const from = monotonicMicros();
  const result = await Promise.race([runLoad(scenario.load, options.connections, options.durationSeconds), system.died]);
  const to = monotonicMicros();
  const client = process.cpuUsage(clientBefore);
  const machineAfter = machineCpu();
  const cpu = cpuBetween(cpuBefore, snapshotCpu(scenario.roles));
  const counters = countersBetween(countersBefore, await readOrchestratorCounters(system.orchestratorUrl));
  const statements = (await statementCalls(system.databaseUrl)) - statementsBefore;
  checkAborted();
  const per = (value: number) => (result.responses > 0 ? value / result.responses : Number.NaN);
  const cpuPer = Object.fromEntries(ROLES.map((role) => [role, per(cpu[role] ?? 0)])) as Record<Role, number>;
  const pathProblem = scenario.check(counters, result.ok, options.connections);
  return {
    round,
    requestsPerSecond: result.responses / result.seconds,
    responses: result.responses,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: result.statusCodes,
    latencyMs: result.latencyMs,
    cpuMicrosPerRequest: { ...cpuPer, total: ROLES.reduce((sum, role) => sum + cpuPer[role], 0), client: per(client.user + client.system) },
    machineBusyPercent: (100 * (machineAfter.busy - machineBefore.busy)) / Math.max(1, machineAfter.total - machineBefore.total),
    othersBusyPercent: Math.max(
      0,
      (100 * (machineAfter.busy - machineBefore.busy)) / Math.max(1, machineAfter.total - machineBefore.total) -
        (100 * (ROLES.reduce((sum, role) => sum + (cpu[role] ?? 0), 0) + client.user + client.system)) / ((to - from) * cpus().length),
    ),
    storeQueriesPerRequest: per(counters.storeQueries),
    statementsPerRequest: per(statements),
    counters,
    loadAverage1m: loadAverage()[0],
    window: [from, to],
    ...(pathProblem ? { pathProblem } : {}),
  };
}

function summariseOpenLoop(offeredRate: number, runs: OpenLoopSummary['runs']): OpenLoopSummary {
  const of = (pick: (run: OpenLoopResult) => number) => median(runs.map(pick));
  return {
    offeredRate,
    runs,
    median: {
      achievedRate: of((run) => run.achievedRate),
      latencyMs: { p50: of((run) => run.latencyMs.p50), p90: of((run) => run.latencyMs.p90), p99: of((run) => run.latencyMs.p99), max: Math.max(...runs.map((run) => run.latencyMs.max)) },
      sendLagP99Ms: of((run) => run.sendLagMs.p99),
    },
    totals: {
      responses: runs.reduce((sum, run) => sum + run.responses, 0),
      non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
      errors: runs.reduce((sum, run) => sum + run.errors, 0),
    },
  };
}

function summarise(runs: RunMeasurement[]): ScenarioSummary {
  const of = (pick: (run: RunMeasurement) => number) => median(runs.map(pick));
  const cpu = Object.fromEntries([...ROLES, 'total', 'client'].map((role) => [role, of((run) => run.cpuMicrosPerRequest[role as Role | 'total' | 'client'])]));
  return {
    requestsPerSecond: of((run) => run.requestsPerSecond),
    latencyMs: { p50: of((run) => run.latencyMs.p50), p99: of((run) => run.latencyMs.p99), max: Math.max(...runs.map((run) => run.latencyMs.max)) },
    cpuMicrosPerRequest: cpu as ScenarioSummary['cpuMicrosPerRequest'],
    storeQueriesPerRequest: of((run) => run.storeQueriesPerRequest),
    statementsPerRequest: of((run) => run.statementsPerRequest),
    machineBusyPercent: of((run) => run.machineBusyPercent),
    othersBusyPercent: of((run) => run.othersBusyPercent),
  };
}

export async function runBenchmark(options: BenchOptions): Promise<BenchReport> {
  const { log } = options;
  const startedAt = new Date();
  const loadAtStart = loadAverage();
  const failures: string[] = [];
  log(`starting the system in production mode (data in ${options.dataDir})`);
  const begin = Date.now();
  const system = await startSystem({
    dataDir: options.dataDir,
    logLevel: options.logLevel,
    serviceNodeArgs: options.serviceNodeArgs,
    log,
    ...(options.onKillSwitch ? { onKillSwitch: options.onKillSwitch } : {}),
  });
  const processes = system.processes();
  options.onStarted?.(processes);
  const results: ScenarioResult[] = [];
  const openRuns = new Map<string, OpenLoopSummary['runs']>();
  try {
    recordProcesses(options.dataDir, system.processes());
    log(`system ready in ${((Date.now() - begin) / 1000).toFixed(1)} s: Starship ${system.edgeUrl}, echo chain ${system.echoEdgeUrl}`);
    checkAborted();
    const headers = guestHeaders(system.origin);
    const tokens = await mintTokenPool(system, headers, options.connections);
    const scenarios = buildScenarios(system, headers, tokens).filter((scenario) => options.scenarios.includes(scenario.id));
    for (const scenario of scenarios) for (const rate of options.openLoopRates) openRuns.set(`${scenario.id}@${rate}`, []);
    for (const scenario of scenarios) {
      log(`warm-up ${scenario.id} (${options.warmupSeconds} s)`);
      const warm = await Promise.race([runLoad(scenario.load, options.connections, options.warmupSeconds), system.died]);
      checkAborted();
      results.push({
        id: scenario.id,
        title: scenario.title,
        hops: scenario.hops,
        warmup: { seconds: warm.seconds, responses: warm.responses, non2xx: warm.non2xx, errors: warm.errors, statusCodes: warm.statusCodes },
        runs: [],
        median: summarise([]),
        totals: { responses: 0, non2xx: 0, errors: 0 },
        ratioToEcho: undefined,
        ratioToBare: undefined,
        cpuRatioToBare: undefined,
        openLoop: [],
      });
    }
    for (let round = 1; round <= options.repetitions; round += 1) {
      for (const scenario of scenarios) {
        const run = await measure(system, scenario, options, round);
        results.find((result) => result.id === scenario.id)!.runs.push(run);
        log(
          `round ${round}/${options.repetitions} ${scenario.id.padEnd(14)} ${run.requestsPerSecond.toFixed(0).padStart(6)} req/s  ` +
            `p50 ${run.latencyMs.p50} ms  p99 ${run.latencyMs.p99} ms  non-2xx ${run.non2xx}  errors ${run.errors}  ` +
            `CPU ${run.cpuMicrosPerRequest.total.toFixed(0)} µs/req  queries/req ${run.storeQueriesPerRequest.toFixed(3)}  others ${run.othersBusyPercent.toFixed(0)}%`,
        );
      }
      // Open loop after the closed loop of the same round, rate by rate, scenarios interleaved.
      for (const rate of options.openLoopRates) {
        for (const scenario of scenarios) {
          await settle(system, log);
          const run = await Promise.race([runOpenLoop(scenario.load, rate, options.openLoopSeconds), system.died]);
          checkAborted();
          openRuns.get(`${scenario.id}@${rate}`)!.push({ ...run, round });
          log(
            `round ${round}/${options.repetitions} ${scenario.id.padEnd(14)} open loop ${String(rate).padStart(4)} req/s offered: ` +
              `p50 ${run.latencyMs.p50} ms  p90 ${run.latencyMs.p90} ms  p99 ${run.latencyMs.p99} ms  max ${run.latencyMs.max} ms  ` +
              `non-2xx ${run.non2xx}  errors ${run.errors}  send lag p99 ${run.sendLagMs.p99} ms`,
          );
        }
      }
    }
    await settle(system, log);
  } finally {
    log('stopping everything the benchmark started');
    await system.stop();
  }

  let echo: number | undefined;
  for (const result of results) {
    result.median = summarise(result.runs);
    result.openLoop = options.openLoopRates.map((rate) => summariseOpenLoop(rate, openRuns.get(`${result.id}@${rate}`) ?? []));
    for (const open of result.openLoop) {
      if (open.totals.non2xx > 0 || open.totals.errors > 0) {
        failures.push(`${result.id} open loop at ${open.offeredRate} req/s: ${open.totals.non2xx} non-2xx, ${open.totals.errors} errors`);
      }
    }
    result.totals = {
      responses: result.runs.reduce((sum, run) => sum + run.responses, 0),
      non2xx: result.warmup.non2xx + result.runs.reduce((sum, run) => sum + run.non2xx, 0),
      errors: result.warmup.errors + result.runs.reduce((sum, run) => sum + run.errors + run.timeouts, 0),
    };
    if (result.id === 'echo') echo = result.median.requestsPerSecond;
    if (result.totals.non2xx > 0) failures.push(`${result.id}: ${result.totals.non2xx} non-2xx responses (${JSON.stringify(mergeCodes(result))})`);
    if (result.totals.errors > 0) failures.push(`${result.id}: ${result.totals.errors} request errors or timeouts`);
    for (const run of result.runs) if (run.pathProblem) failures.push(`${result.id} round ${run.round}: ${run.pathProblem}`);
    if (result.runs.length === 0) failures.push(`${result.id}: no measured run`);
  }
  // No ratio against a bare chain that answered nothing in its run (a 1 s short-mode run on a saturated machine).
  const bareMedian = results.find((result) => result.id === BARE_SCENARIO)?.median;
  const bare = bareMedian && bareMedian.requestsPerSecond > 0 ? bareMedian : undefined;
  for (const result of results) {
    result.ratioToEcho = echo ? result.median.requestsPerSecond / echo : undefined;
    result.ratioToBare = bare ? result.median.requestsPerSecond / bare.requestsPerSecond : undefined;
    result.cpuRatioToBare = bare ? result.median.cpuMicrosPerRequest.total / bare.cpuMicrosPerRequest.total : undefined;
  }
  for (const id of options.scenarios) if (!results.some((result) => result.id === id)) failures.push(`${id}: did not run`);
  const { log: _log, dataDir: _dataDir, onKillSwitch: _kill, onStarted: _started, ...reported } = options;
  return {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: describeMachine(),
    options: reported,
    load: { atStart: loadAtStart, atEnd: loadAverage() },
    scenarios: results,
    processes,
    failures,
    ok: failures.length === 0,
  };
}

function mergeCodes(result: ScenarioResult): Record<string, number> {
  const codes: Record<string, number> = { ...result.warmup.statusCodes };
  for (const run of result.runs) for (const [code, count] of Object.entries(run.statusCodes)) codes[code] = (codes[code] ?? 0) + count;
  return codes;
}
