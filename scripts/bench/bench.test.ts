/**
 * The benchmark in its short mode (1 s per scenario, 1 round, 1 s warm-up), so it cannot rot: the
 * whole system starts in production mode, every scenario runs through Starship, and everything stops.
 * Only correctness is asserted, never a time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isProcessAlive, postgresProcesses } from '@webchat/testkit';
import type { BenchReport } from './bench';
import { SCENARIO_IDS } from './scenarios';

const REPO = resolve(__dirname, '..', '..');
/** Six scenarios closed and open loop: about 2 minutes on a quiet machine, 5 at a load average of 30. */
const RUN_TIMEOUT_MS = 420_000;
/** One low rate: a busy CI machine still answers it without piling up a queue, and the short mode stays short. */
const OPEN_RATES = [50];
const DATA_DIR = join(REPO, '.data', 'bench-ci');

let child: ChildProcess | undefined;
let resultsDir: string;

function runShortBenchmark(): Promise<{ code: number | null; output: string }> {
  resultsDir = mkdtempSync(join(tmpdir(), 'webchat-bench-'));
  const tsx = require.resolve('tsx', { paths: [REPO] });
  child = spawn(process.execPath, ['--import', tsx, join('scripts', 'bench', 'run.ts')], {
    cwd: REPO,
    env: {
      ...process.env,
      NO_COLOR: '1',
      BENCH_DURATION_SECONDS: '2', // still short mode (< 3 s); 1 s once let WebChannels answer nothing on a busy CI machine
      BENCH_REPETITIONS: '1',
      BENCH_WARMUP_SECONDS: '1',
      BENCH_OPEN_RATES: OPEN_RATES.join(','),
      BENCH_RESULTS_DIR: resultsDir,
      // Its own cluster and nginx prefixes: a `pnpm bench` running at the same time is not disturbed.
      BENCH_DATA_DIR: DATA_DIR,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return new Promise((done) => child!.once('exit', (code) => done({ code, output })));
}

afterAll(async () => {
  // A failed or timed-out test: the benchmark stops everything it started on SIGINT.
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((done) => child!.once('exit', done));
    child.kill('SIGINT');
    await Promise.race([exited, new Promise((done) => setTimeout(done, 30_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  if (resultsDir) rmSync(resultsDir, { recursive: true, force: true });
}, 40_000);

test(
  'when the benchmark runs in short mode, then every scenario runs without an error or a non-2xx, and a warm flag-on token request makes no store query',
  async () => {
    const { code, output } = await runShortBenchmark();
    let report: BenchReport;
    try {
      report = JSON.parse(readFileSync(join(resultsDir, 'latest.json'), 'utf8')) as BenchReport;
    } catch {
      throw new Error(`the benchmark wrote no results (exit ${code}):\n${output.slice(-4000)}`);
    }
    expect({ failures: report.failures, exit: code }).toEqual({ failures: [], exit: 0 });
    expect(report.scenarios.map((scenario) => scenario.id).sort()).toEqual([...SCENARIO_IDS].sort());
    for (const scenario of report.scenarios) {
      expect({ id: scenario.id, runs: scenario.runs.length, answered: scenario.totals.responses > 0 }).toEqual({ id: scenario.id, runs: 1, answered: true });
      expect({ id: scenario.id, errors: scenario.totals.errors, non2xx: scenario.totals.non2xx }).toEqual({ id: scenario.id, errors: 0, non2xx: 0 });
      // Open loop: every scenario at every offered rate, each request answered with a 2xx.
      expect(scenario.openLoop.map((open) => ({ rate: open.offeredRate, answered: open.totals.responses > 0, ...open.totals, responses: undefined }))).toEqual(
        OPEN_RATES.map((rate) => ({ rate, answered: true, non2xx: 0, errors: 0, responses: undefined })),
      );
    }
    // Every ratio is against the bare Express chain of the same run (none when it answered nothing in 1 s).
    const bare = report.scenarios.find((scenario) => scenario.id === 'bare-express')!;
    const ratios = report.scenarios.map((scenario) => scenario.ratioToBare);
    if (bare.median.requestsPerSecond > 0) {
      expect(ratios.every((ratio) => typeof ratio === 'number' && ratio > 0)).toBe(true);
      expect(bare.ratioToBare).toBe(1);
    } else expect(ratios.every((ratio) => ratio === undefined)).toBe(true);
    const flagOn = report.scenarios.find((scenario) => scenario.id === 'token-flag-on');
    expect(flagOn?.median.storeQueriesPerRequest).toBeLessThanOrEqual(0.05);
    // Everything it started is gone: its services, both nginx and the private PostgreSQL.
    expect(report.processes.length).toBeGreaterThanOrEqual(16);
    expect(report.processes.filter(({ pid }) => isProcessAlive(pid))).toEqual([]);
    expect(postgresProcesses(join(DATA_DIR, 'local-pg', 'pgdata'))).toEqual([]);
  },
  RUN_TIMEOUT_MS,
);
