import type { BenchReport, ScenarioResult } from './bench';

const fixed = (value: number | undefined, digits = 0) => (value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits));
const percent = (value: number | undefined) => (value === undefined ? 'n/a' : `${(value * 100).toFixed(0)}%`);
const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');

function row(result: ScenarioResult): string {
  const m = result.median;
  const cpu = m.cpuMicrosPerRequest;
  return `| ${[
    result.title,
    fixed(m.requestsPerSecond),
    result.runs.length > 1 ? `${fixed(Math.min(...result.runs.map((run) => run.requestsPerSecond)))}–${fixed(Math.max(...result.runs.map((run) => run.requestsPerSecond)))}` : '',
    percent(result.ratioToEcho),
    fixed(m.latencyMs.p50, 1),
    fixed(m.latencyMs.p99, 1),
    fixed(m.latencyMs.max, 0),
    String(result.totals.non2xx),
    String(result.totals.errors),
    fixed(m.storeQueriesPerRequest, 3),
    fixed(m.statementsPerRequest, 2),
    fixed(cpu.nginx),
    fixed(cpu.hop1),
    fixed(cpu.hop2),
    fixed(cpu.hop3),
    fixed(cpu.postgres),
    fixed(cpu.total),
    fixed(cpu.client),
    fixed(m.machineBusyPercent),
    fixed(m.othersBusyPercent),
  ].join(' | ')} |`;
}

/** The targets of issue 7, read from the figures (never asserted: the run fails only on errors). */
export function targetLines(report: BenchReport): string[] {
  const by = (id: string) => report.scenarios.find((result) => result.id === id);
  const lines: string[] = [];
  const off = by('token-flag-off');
  const on = by('token-flag-on');
  const channels = by('webchannels');
  if (off?.ratioToEcho !== undefined) lines.push(`token, flag off >= 80% of echo req/s: ${percent(off.ratioToEcho)} (${mark(off.ratioToEcho >= 0.8)})`);
  if (on?.ratioToEcho !== undefined) lines.push(`token, flag on >= 75% of echo req/s: ${percent(on.ratioToEcho)} (${mark(on.ratioToEcho >= 0.75)})`);
  for (const result of [off, on, channels]) {
    if (!result) continue;
    lines.push(`${result.id}: p99 <= 100 ms at c=${report.options.connections}: ${fixed(result.median.latencyMs.p99, 1)} ms (${mark(result.median.latencyMs.p99 <= 100)})`);
  }
  const errors = report.scenarios.reduce((sum, result) => sum + result.totals.errors + result.totals.non2xx, 0);
  lines.push(`0 errors and 0 non-2xx: ${errors} (${mark(errors === 0)})`);
  for (const result of [off, on]) {
    if (result) lines.push(`${result.id}: 0 store queries per warm request: ${fixed(result.median.storeQueriesPerRequest, 3)} (${mark(result.median.storeQueriesPerRequest === 0)})`);
  }
  if (channels && on) {
    const ratio = channels.median.requestsPerSecond / on.median.requestsPerSecond;
    lines.push(`WebChannels >= 60% of token (flag on) req/s: ${percent(ratio)} (${mark(ratio >= 0.6)})`);
  }
  return lines;
}

export function renderMarkdown(report: BenchReport): string {
  const { machine, options } = report;
  const load = (values: [number, number, number]) => values.map((value) => value.toFixed(2)).join(' / ');
  return [
    '## Benchmark: tokens per second through Starship',
    '',
    `Machine: \`nproc\` ${machine.nproc}, ${machine.cpuModel}, Node ${machine.node}, Linux ${machine.kernel}. ` +
      `Load average (1/5/15 min) ${load(report.load.atStart)} before the benchmark started its processes, ${load(report.load.atEnd)} at the end ` +
      `(that one includes the benchmark's own load). ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC.`,
    '',
    `autocannon, c = ${options.connections}, ${options.durationSeconds} s per run after ${options.warmupSeconds} s of warm-up, ` +
      `${options.repetitions} rounds (all scenarios per round), medians. Production mode, LOG_LEVEL=${options.logLevel}; ` +
      'Starship (nginx, 1 worker) in front of each chain, the client on the same machine.',
    '',
    '| scenario | req/s | req/s range | vs echo | p50 ms | p99 ms | max ms | non-2xx | errors | store queries/req | PG statements/req | CPU µs/req nginx | orchestrator (echo-1) | federated-auth (echo-2) | scoped-auth (echo-3) | postgres | total | client | machine busy % | others % |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...report.scenarios.map(row),
    '',
    '"req/s range" is the lowest and highest round. ' +
      'CPU µs/req is utime+stime from /proc per completed request (nginx master and worker, each service, every PostgreSQL process); ' +
      '"client" is autocannon in the benchmark process; "machine busy" is of all cores together, "others" the part of it ' +
      'used by processes outside the benchmark (other work on the machine). Store queries are the ' +
      "orchestrator's `store_queries_total`; PG statements come from pg_stat_statements (BEGIN/COMMIT included).",
    '',
    'Targets (read, not asserted):',
    '',
    ...targetLines(report).map((line) => `- ${line}`),
    ...(report.failures.length > 0 ? ['', 'FAILED:', '', ...report.failures.map((line) => `- ${line}`)] : []),
    '',
  ].join('\n');
}
