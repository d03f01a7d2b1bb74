import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@webchat/testkit';
import { writeResults } from './results';

/*
 * `pnpm hardening`: the whole hardening suite in full mode (long fault loads, a 5-minute soak at 70% of
 * the measured maximum), one file at a time so the soak has the machine to itself, then RESULTS.md from
 * the figures each test file recorded. HARDENING_MODE=short runs the CI variant the same way.
 * `--report-only` rewrites the results from the last run's figures; HARDENING_NOTE adds a note to them.
 */

const mode = process.env.HARDENING_MODE === 'short' ? 'short' : 'full';
const figuresDir = join(REPO_ROOT, 'artifacts', 'hardening', mode);

const runFile = join(figuresDir, 'run.json');
const reportOnly = process.argv.includes('--report-only');
let run: { machine: { cpus: number; loadAverage: number[]; loadAverageAtEnd?: number[] }; durationS: number; jestExitCode: number };

if (reportOnly) {
  // Figures of a run made some other way (e.g. `jest tests/hardening`) have no run.json: what is known now.
  run = existsSync(runFile)
    ? (JSON.parse(readFileSync(runFile, 'utf8')) as typeof run)
    : { machine: { cpus: cpus().length, loadAverage: loadavg().map((n) => Math.round(n * 100) / 100) }, durationS: 0, jestExitCode: 0 };
} else {
  mkdirSync(figuresDir, { recursive: true });
  for (const file of readdirSync(figuresDir)) if (file.endsWith('.json')) rmSync(join(figuresDir, file));
  const loadAverage = () => loadavg().map((n) => Math.round(n * 100) / 100);
  const machine = { cpus: cpus().length, loadAverage: loadAverage() };
  const started = Date.now();
  const jest = spawnSync(
    process.execPath,
    [require.resolve('jest/bin/jest'), '--ci', '--runInBand', '--json', `--outputFile=${join(figuresDir, 'jest.json')}`, 'tests/hardening'],
    { cwd: REPO_ROOT, stdio: 'inherit', env: { ...process.env, HARDENING_MODE: mode } },
  );
  // The load at the end tells whether something else shared the machine (the soak's figures assume not).
  run = { machine: { ...machine, loadAverageAtEnd: loadAverage() }, durationS: Math.round((Date.now() - started) / 1000), jestExitCode: jest.status ?? 1 };
  writeFileSync(runFile, JSON.stringify(run, null, 2));
}

const written = writeResults({
  mode,
  figuresDir,
  out: mode === 'full' ? join(REPO_ROOT, 'tests', 'hardening', 'RESULTS.md') : join(figuresDir, 'RESULTS.md'),
  ...run,
  ...(process.env.HARDENING_NOTE ? { note: process.env.HARDENING_NOTE } : {}),
});
process.stdout.write(`\nhardening (${mode}): results in ${written}\n`);
process.exit(run.jestExitCode);
