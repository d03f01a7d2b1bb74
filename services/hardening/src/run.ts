import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { writeResults } from './results';

/*
 * `pnpm hardening`: the whole hardening suite in full mode (long fault loads, a 5-minute soak at 70% of
 * the measured maximum), one file at a time so the soak has the machine to itself, then RESULTS.md from
 * the figures each test file recorded. HARDENING_MODE=short runs the CI variant the same way.
 */

const REPO_ROOT = resolve(__dirname, '../../..');
const mode = process.env.HARDENING_MODE === 'short' ? 'short' : 'full';
const figuresDir = join(REPO_ROOT, 'artifacts', 'hardening', mode);

mkdirSync(figuresDir, { recursive: true });
for (const file of readdirSync(figuresDir)) if (file.endsWith('.json')) rmSync(join(figuresDir, file));

const machine = { cpus: cpus().length, loadAverage: loadavg().map((n) => Math.round(n * 100) / 100) };
const started = Date.now();
const jest = spawnSync(
  process.execPath,
  [require.resolve('jest/bin/jest'), '--ci', '--runInBand', '--json', `--outputFile=${join(figuresDir, 'jest.json')}`, 'services/hardening'],
  { cwd: REPO_ROOT, stdio: 'inherit', env: { ...process.env, HARDENING_MODE: mode } },
);
const exitCode = jest.status ?? 1;

const written = writeResults({
  mode,
  figuresDir,
  out: mode === 'full' ? join(REPO_ROOT, 'services', 'hardening', 'RESULTS.md') : join(figuresDir, 'RESULTS.md'),
  machine,
  durationS: Math.round((Date.now() - started) / 1000),
  jestExitCode: exitCode,
});
process.stdout.write(`\nhardening (${mode}): results in ${written}\n`);
process.exit(exitCode);
