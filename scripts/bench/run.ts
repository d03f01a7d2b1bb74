/**
 * `pnpm bench`: the token path through Starship against an echo chain of the same shape, in one run
 * (issue 7). Writes bench-results/latest.json and latest.md, prints the table, and exits non-zero when
 * any request errored or got a non-2xx (never on times). Environment:
 *   BENCH_DURATION_SECONDS  per measured run (default 10; 1 is the short CI mode: 1 round, 1 s warm-up)
 *   BENCH_WARMUP_SECONDS    per scenario before the rounds (default 5, short mode 1)
 *   BENCH_REPETITIONS       rounds; medians over them (default 3, short mode 1)
 *   BENCH_CONNECTIONS       autocannon connections (default 50)
 *   BENCH_SCENARIOS         comma list of bare-raw,bare-express,echo,token-flag-off,token-flag-on,webchannels
 *                           (default all; the ratios need bare-express)
 *   BENCH_OPEN_RATES        open-loop offered rates, req/s, Poisson arrivals (default 100,200,300; "none" for none)
 *   BENCH_OPEN_SECONDS      per open-loop run (default BENCH_DURATION_SECONDS)
 *   BENCH_RESULTS_DIR       default <repo>/bench-results
 *   BENCH_DATA_DIR          private cluster, nginx prefixes, logs (default <repo>/.data/bench)
 *   BENCH_LOG_LEVEL         the services' LOG_LEVEL (default warn)
 *   BENCH_WEBHOOKS=0        skip the webhook benchmark (scripts/bench/webhooks.ts: events/s, lag p50/p99 at 200 msg/s)
 *   BENCH_CPU_PROF=1        run the services (and the echo hops) with --cpu-prof; the profiles and a
 *                           summary of the top self-time functions per scenario land in <results>/profiles/
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { REPO_ROOT } from '../local/config';
import { paint } from '../local/logs';
import { abortBenchmark, runBenchmark, type BenchOptions } from './bench';
import { summariseDirectory } from './profile';
import { renderMarkdown } from './report';
import { SCENARIO_IDS, type ScenarioId } from './scenarios';
import { claimDataDir } from './system';
import { runWebhookBenchmark } from './webhooks';

const say = (line: string) => process.stdout.write(`${paint('bold', 'bench')}            ${paint('gray', '|')} ${line}\n`);

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) problems.push(`${name} must be a positive number; got ${JSON.stringify(raw)}`);
  return value;
}

const absolute = (path: string) => (isAbsolute(path) ? path : resolve(path));

export function readOptions(env: NodeJS.ProcessEnv = process.env): BenchOptions & { resultsDir: string; cpuProfDir: string | undefined } {
  const problems: string[] = [];
  const durationSeconds = positive(env, 'BENCH_DURATION_SECONDS', 10, problems);
  const short = durationSeconds < 3;
  const repetitions = Math.round(positive(env, 'BENCH_REPETITIONS', short ? 1 : 3, problems));
  const warmupSeconds = positive(env, 'BENCH_WARMUP_SECONDS', short ? 1 : 5, problems);
  const connections = Math.round(positive(env, 'BENCH_CONNECTIONS', 50, problems));
  const openRates = env.BENCH_OPEN_RATES === 'none' ? [] : (env.BENCH_OPEN_RATES || '100,200,300').split(',').map((rate) => Number(rate.trim()));
  if (openRates.some((rate) => !Number.isFinite(rate) || rate <= 0)) problems.push(`BENCH_OPEN_RATES must be positive rates or "none"; got ${JSON.stringify(env.BENCH_OPEN_RATES)}`);
  const openLoopSeconds = positive(env, 'BENCH_OPEN_SECONDS', durationSeconds, problems);
  const scenarios = (env.BENCH_SCENARIOS || SCENARIO_IDS.join(',')).split(',').map((id) => id.trim()) as ScenarioId[];
  const unknown = scenarios.filter((id) => !SCENARIO_IDS.includes(id));
  if (unknown.length > 0) problems.push(`BENCH_SCENARIOS: unknown ${unknown.join(', ')} (known: ${SCENARIO_IDS.join(', ')})`);
  const resultsDir = absolute(env.BENCH_RESULTS_DIR || join(REPO_ROOT, 'bench-results'));
  const dataDir = absolute(env.BENCH_DATA_DIR || join(REPO_ROOT, '.data', 'bench'));
  if (/\s/.test(dataDir)) problems.push(`BENCH_DATA_DIR must not contain whitespace (nginx and PostgreSQL paths): ${dataDir}`);
  const logLevel = env.BENCH_LOG_LEVEL || 'warn';
  const cpuProfDir = env.BENCH_CPU_PROF === '1' ? join(resultsDir, 'profiles', new Date().toISOString().replace(/[:.]/g, '-')) : undefined;
  if (problems.length > 0) throw new Error(`invalid environment:\n  - ${problems.join('\n  - ')}`);
  return {
    durationSeconds,
    warmupSeconds,
    repetitions,
    connections,
    openLoopRates: openRates,
    openLoopSeconds,
    scenarios,
    dataDir,
    resultsDir,
    logLevel,
    cpuProfDir,
    serviceNodeArgs: cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [],
    log: say,
  };
}

let killNow: (() => void) | undefined;
let signalled = 0;
let firstSignalAt = 0;

function onSignal(signal: NodeJS.Signals): void {
  // One Ctrl-C can arrive twice (the terminal's, and tsx relaying it): a second within a second is the same one.
  if (signalled > 0 && Date.now() - firstSignalAt < 1000) return;
  signalled += 1;
  if (signalled > 1) {
    // A second Ctrl-C: no more waiting for drains.
    killNow?.();
    process.exit(130);
  }
  firstSignalAt = Date.now();
  say(`${signal}: stopping the load and everything the benchmark started (again to kill at once)`);
  abortBenchmark(`received ${signal}`);
}

/** pnpm does not pass SIGTERM on to its script: when the parent is gone, stop as if signalled. */
function stopWhenOrphaned(): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) abortBenchmark('the process that started the benchmark exited');
  }, 500);
  timer.unref();
}

async function main(): Promise<number> {
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  stopWhenOrphaned();
  const options = readOptions();
  const release = claimDataDir(options.dataDir, say);
  const names = new Map<number, string>();
  let report;
  try {
    report = await runBenchmark({
      ...options,
      onKillSwitch: (kill) => {
        killNow = kill;
      },
      onStarted: (processes) => processes.forEach(({ name, pid }) => names.set(pid, name)),
    });
  } finally {
    release();
  }
  const markdown = renderMarkdown(report);
  mkdirSync(options.resultsDir, { recursive: true });
  writeFileSync(join(options.resultsDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(options.resultsDir, 'latest.md'), markdown);
  process.stdout.write(`\n${markdown}\n`);
  if (options.cpuProfDir) {
    // Per scenario, only the samples taken while its measured runs lasted (no start-up, no warm-up).
    const summary = report.scenarios
      .map((scenario) => `## ${scenario.title}\n\n${summariseDirectory(options.cpuProfDir!, names, 25, { windows: scenario.runs.map((run) => run.window) })}`)
      .join('\n');
    writeFileSync(join(options.cpuProfDir, 'summary.md'), summary);
    say(`CPU profiles and their summary: ${options.cpuProfDir}`);
  }
  say(`results: ${join(options.resultsDir, 'latest.json')}, ${join(options.resultsDir, 'latest.md')}`);
  if (process.env.BENCH_WEBHOOKS !== '0') {
    const releaseAgain = claimDataDir(options.dataDir, say);
    try {
      await runWebhookBenchmark({ dataDir: options.dataDir, resultsDir: options.resultsDir, short: options.durationSeconds < 3, log: say });
    } finally {
      releaseAgain();
    }
    say(`webhook results: ${join(options.resultsDir, 'webhooks.json')}, ${join(options.resultsDir, 'webhooks.md')}`);
  }
  if (!report.ok) {
    process.stderr.write(`${paint('red', 'bench: FAILED')}\n  - ${report.failures.join('\n  - ')}\n`);
    return 1;
  }
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${paint('red', 'bench: failed:')} ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(signalled > 0 ? 130 : 1);
    },
  );
}
