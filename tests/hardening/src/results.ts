import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What each hardening test file records (test/support/figures.ts writes them; this reads them). */
export interface Figures {
  casesTried?: number;
  casesPassed?: number;
  faultsTried?: number;
  faultsSurvived?: number;
  requestsSent?: number;
  requestsAnswered?: number;
  /** Anything else worth recording (throughput, memory, per-fault outcomes), shown as is. */
  notes?: Record<string, unknown>;
}

interface JestReport {
  success: boolean;
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  testResults: Array<{ name: string; assertionResults: Array<{ fullName: string; title: string; status: string; failureMessages?: string[] }> }>;
}

export interface ResultsInput {
  mode: string;
  figuresDir: string;
  out: string;
  machine: { cpus: number; loadAverage: number[]; loadAverageAtEnd?: number[] };
  durationS: number;
  jestExitCode: number;
  /** Said by whoever ran it (HARDENING_NOTE), e.g. what else was running on the machine. */
  note?: string;
}

const SUITES: Array<[string, string]> = [
  ['bad-input', 'Bad input table through Starship'],
  ['cors', 'CORS on every route'],
  ['tokens', 'Token attacks'],
  ['identity-proof', 'Identity proof (bare identity, previous token, identity token)'],
  ['path-variants', 'Path variants of every limited route'],
  ['internal', 'Internal endpoints'],
  ['enumeration', 'Deployment key enumeration'],
  ['rate-limit', 'Rate limits'],
  ['faults', 'Faults under load'],
  ['soak', 'Soak'],
];

const readJson = <T>(file: string): T | undefined => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined);
const cell = (value: number | undefined) => (value === undefined ? '' : String(value));
const json = (value: unknown) => `\`${JSON.stringify(value)}\``;

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8' }).trim() !== '';
    return `${head}${dirty ? ' (with uncommitted changes)' : ''}`;
  } catch {
    return 'unknown';
  }
}

/** RESULTS.md from the figures every test file recorded and jest's own report. Returns the file written. */
export function writeResults(input: ResultsInput): string {
  const figures = new Map<string, Figures>();
  for (const file of readdirSync(input.figuresDir)) {
    if (file.endsWith('.json') && file !== 'jest.json' && file !== 'run.json') figures.set(file.replace(/\.json$/, ''), readJson<Figures>(join(input.figuresDir, file))!);
  }
  // A jest report older than the figures belongs to an earlier run (these came from a plain `jest` run).
  const jestFile = join(input.figuresDir, 'jest.json');
  const oldestFigures = Math.min(...[...figures.keys()].map((name) => statSync(join(input.figuresDir, `${name}.json`)).mtimeMs));
  const jest = existsSync(jestFile) && statSync(jestFile).mtimeMs >= oldestFigures ? readJson<JestReport>(jestFile) : undefined;
  const lines: string[] = [];
  const push = (...more: string[]) => lines.push(...more);

  push(
    `# Hardening results (${input.mode} run)`,
    '',
    'Written by `pnpm hardening` (tests/hardening/src/run.ts) from the figures the test files record; do not edit by hand.',
    '',
    `- When: ${new Date().toISOString()}, commit ${commit()}, Node ${process.version}`,
    `- Machine: ${input.machine.cpus} CPUs, load average ${input.machine.loadAverage.join(' / ')} (1/5/15 min) at the start` +
      (input.machine.loadAverageAtEnd ? `, ${input.machine.loadAverageAtEnd.join(' / ')} at the end` : ''),
    `- Took ${input.durationS} s; jest exit code ${input.jestExitCode}` +
      (jest ? `: ${jest.numPassedTests} of ${jest.numTotalTests} tests passed, ${jest.numFailedTests} failed` : ''),
    ...(input.note ? ['', `**Note:** ${input.note}`] : []),
    '',
    '## Summary',
    '',
    '| Suite | Cases tried | Cases passed | Faults tried | Faults survived | Requests sent | Requests answered |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  const total: Required<Omit<Figures, 'notes'>> = { casesTried: 0, casesPassed: 0, faultsTried: 0, faultsSurvived: 0, requestsSent: 0, requestsAnswered: 0 };
  for (const [key, title] of SUITES) {
    const f = figures.get(key) ?? {};
    for (const k of Object.keys(total) as Array<keyof typeof total>) total[k] += f[k] ?? 0;
    push(`| ${title} | ${cell(f.casesTried)} | ${cell(f.casesPassed)} | ${cell(f.faultsTried)} | ${cell(f.faultsSurvived)} | ${cell(f.requestsSent)} | ${cell(f.requestsAnswered)} |`);
  }
  push(`| **Total** | ${total.casesTried} | ${total.casesPassed} | ${total.faultsTried} | ${total.faultsSurvived} | ${total.requestsSent} | ${total.requestsAnswered} |`, '');
  push(
    'Cases: one request (or one route of a table row) checked against its documented answer. Requests sent and',
    'answered count the load of the fault, enumeration, rate-limit and soak suites; a request that got no answer',
    'would make sent exceed answered.',
    '',
  );

  const faults = figures.get('faults')?.notes as Record<string, { answers: Record<string, number>; recoveredInMs?: number; mintedButNeverDelivered?: number; flagFollowedLaunchDarklyAfterMs?: number }> | undefined;
  if (faults) {
    push('## Faults', '', '| Fault | Answers during the fault window (kind, status, code: count) | Recovered after removal |', '| --- | --- | --- |');
    for (const [name, f] of Object.entries(faults)) {
      const answers = Object.entries(f.answers).map(([k, v]) => `${k}: ${v}`).join('; ');
      const recovered = f.recoveredInMs !== undefined ? `${f.recoveredInMs} ms` : f.flagFollowedLaunchDarklyAfterMs !== undefined ? `flag followed LaunchDarkly after ${f.flagFollowedLaunchDarklyAfterMs} ms` : '';
      const discarded = f.mintedButNeverDelivered ? ` (${f.mintedButNeverDelivered} token(s) minted for a caller that had given up, never delivered)` : '';
      push(`| ${name} | ${answers} | ${recovered}${discarded} |`);
    }
    push('');
  }

  const soak = figures.get('soak')?.notes as { maxThroughput?: Record<string, unknown>; soak?: Record<string, unknown>; processes?: Record<string, Record<string, number>> } | undefined;
  if (soak) {
    push('## Soak', '');
    if (soak.maxThroughput) push(`- Maximum throughput measured first (whole widget chain: mint, create, read, refresh): ${json(soak.maxThroughput)}`);
    if (soak.soak) push(`- Soak: ${json(soak.soak)}`);
    if (soak.processes) {
      push(
        '',
        '| Process | Private RSS MB (shared-memory zones excluded): warm-up peak / soak peak | Resting private RSS MB before → after (after a full GC) | Live heap MB before → after | Resting fds before → after |',
        '| --- | --- | --- | --- | --- |',
      );
      for (const [name, m] of Object.entries(soak.processes)) {
        const heap = m.liveHeapMbBefore !== undefined ? `${m.liveHeapMbBefore} → ${m.liveHeapMbAfter} (${m.liveHeapGrowthPct}%)` : 'n/a';
        push(`| ${name} | ${m.rssMbWarmUpPeak} / ${m.rssMbSoakPeak} | ${m.restingRssMbBefore} → ${m.restingRssMbAfter} | ${heap} | ${m.restingFdsBefore} → ${m.restingFdsAfter} |`);
      }
    }
    push('');
  }

  const enumeration = figures.get('enumeration')?.notes;
  if (enumeration) push('## Deployment key enumeration', '', `- Median answer time by kind of dead key: ${json(enumeration)}`, '');

  if (jest) {
    const results = jest.testResults.flatMap((file) => file.assertionResults);
    const known = results.filter((r) => r.title.startsWith('KNOWN'));
    if (known.length > 0) {
      push('## Known issues outside this package (kept as `test.failing`)', '');
      for (const r of known) push(`- ${r.title} — ${r.status === 'passed' ? 'still present' : 'FIXED? the known-failing test now passes; drop `.failing`'}`);
      push('');
    }
    const failed = results.filter((r) => r.status === 'failed');
    if (failed.length > 0) {
      push('## Failed tests', '');
      for (const r of failed) push(`- ${r.fullName}: ${(r.failureMessages?.[0] ?? '').split('\n')[0]}`);
      push('');
    }
  }
  writeFileSync(input.out, `${lines.join('\n')}\n`);
  return input.out;
}
