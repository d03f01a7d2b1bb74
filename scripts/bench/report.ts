import type { BenchReport, OpenLoopSummary, ScenarioResult } from './bench';
import { BARE_SCENARIO } from './scenarios';

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
    percent(result.ratioToBare),
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
    result.cpuRatioToBare === undefined ? 'n/a' : `${result.cpuRatioToBare.toFixed(2)}×`,
    fixed(cpu.client),
    fixed(m.machineBusyPercent),
    fixed(m.othersBusyPercent),
  ].join(' | ')} |`;
}

const openAt = (result: ScenarioResult | undefined, rate: number): OpenLoopSummary | undefined => result?.openLoop.find((open) => open.offeredRate === rate);

function openRow(result: ScenarioResult, rates: number[]): string {
  const cells = rates.flatMap((rate) => {
    const open = openAt(result, rate);
    return open ? [fixed(open.median.latencyMs.p50, 1), fixed(open.median.latencyMs.p99, 1), fixed(open.median.latencyMs.max, 0)] : ['n/a', 'n/a', 'n/a'];
  });
  return `| ${[result.title, ...cells].join(' | ')} |`;
}

/** The targets of issue 17, read from the figures (never asserted: the run fails only on errors). */
export function targetLines(report: BenchReport): string[] {
  const by = (id: string) => report.scenarios.find((result) => result.id === id);
  const lines: string[] = [];
  const bare = by(BARE_SCENARIO);
  const echo = by('echo');
  const off = by('token-flag-off');
  const on = by('token-flag-on');
  const channels = by('webchannels');
  if (!bare) lines.push(`the ratios need the ${BARE_SCENARIO} scenario, which did not run`);
  if (echo?.ratioToBare !== undefined) lines.push(`echo chain >= 90% of the bare chain's req/s: ${percent(echo.ratioToBare)} (${mark(echo.ratioToBare >= 0.9)})`);
  if (on?.ratioToBare !== undefined) lines.push(`token, flag on >= 80% of the bare chain's req/s: ${percent(on.ratioToBare)} (${mark(on.ratioToBare >= 0.8)})`);
  if (on?.cpuRatioToBare !== undefined) {
    lines.push(`token, flag on: total CPU per request <= 1.3× the bare chain's: ${on.cpuRatioToBare.toFixed(2)}× (${mark(on.cpuRatioToBare <= 1.3)})`);
  }
  const onAt200 = openAt(on, 200);
  const bareAt200 = openAt(bare, 200);
  if (onAt200 && bareAt200) {
    const ratio = onAt200.median.latencyMs.p99 / bareAt200.median.latencyMs.p99;
    lines.push(
      `token, flag on: open-loop p99 at 200 req/s <= 1.5× the bare chain's: ${fixed(onAt200.median.latencyMs.p99, 1)} vs ${fixed(bareAt200.median.latencyMs.p99, 1)} ms, ` +
        `${ratio.toFixed(2)}× (${mark(ratio <= 1.5)})`,
    );
  }
  const errors = report.scenarios.reduce((sum, result) => sum + result.totals.errors + result.totals.non2xx, 0);
  lines.push(`0 errors and 0 non-2xx: ${errors} (${mark(errors === 0)})`);
  for (const result of [off, on]) {
    if (result) lines.push(`${result.id}: 0 store queries per warm request: ${fixed(result.median.storeQueriesPerRequest, 3)} (${mark(result.median.storeQueriesPerRequest === 0)})`);
  }
  if (channels && on) {
    const ratio = channels.median.requestsPerSecond / on.median.requestsPerSecond;
    // Issue 7's ratio, from before a create also wrote the conversation's events (live streams, webhook outbox):
    // printed for comparison between runs, not an issue-17 target.
    lines.push(`for information, not a target: WebChannels at ${percent(ratio)} of the token path's (flag on) req/s (issue 7 asked >= 60% before the event log)`);
  }
  return lines;
}

export function renderMarkdown(report: BenchReport): string {
  const { machine, options } = report;
  const load = (values: [number, number, number]) => values.map((value) => value.toFixed(2)).join(' / ');
  return [
    '## Benchmark: the token path against its own stack\'s floor',
    '',
    `Machine: \`nproc\` ${machine.nproc}, ${machine.cpuModel}, Node ${machine.node}, Linux ${machine.kernel}. ` +
      `Load average (1/5/15 min) ${load(report.load.atStart)} before the benchmark started its processes, ${load(report.load.atEnd)} at the end ` +
      `(that one includes the benchmark's own load). ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC.`,
    '',
    `autocannon, c = ${options.connections}, ${options.durationSeconds} s per run after ${options.warmupSeconds} s of warm-up, ` +
      `${options.repetitions} rounds (all scenarios per round), medians. Production mode, LOG_LEVEL=${options.logLevel}; ` +
      'Starship (nginx, 1 worker) in front of each chain, the client on the same machine.',
    '',
    '| scenario | req/s | req/s range | vs bare | p50 ms | p99 ms | max ms | non-2xx | errors | store queries/req | PG statements/req | CPU µs/req nginx | orchestrator (echo-1) | federated-auth (echo-2) | scoped-auth (echo-3) | postgres | total | CPU vs bare | client | machine busy % | others % |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...report.scenarios.map(row),
    '',
    '"req/s range" is the lowest and highest round. ' +
      'CPU µs/req is utime+stime from /proc per completed request (nginx master and worker, each service, every PostgreSQL process); ' +
      '"client" is autocannon in the benchmark process; "machine busy" is of all cores together, "others" the part of it ' +
      'used by processes outside the benchmark (other work on the machine). Store queries are the ' +
      "orchestrator's `store_queries_total`; PG statements come from pg_stat_statements (BEGIN/COMMIT included). " +
      '"vs bare" and "CPU vs bare" compare with the bare Express + axios chain of the same run.',
    '',
    ...(options.openLoopRates.length > 0
      ? [
          `Open loop: Poisson arrivals at each offered rate, ${options.openLoopSeconds} s per run, ${options.repetitions} rounds, medians of each percentile; ` +
            'latency from the scheduled send to the last byte, so a stall counts for every request that arrived during it (no coordinated omission).',
          '',
          `| scenario | ${options.openLoopRates.map((rate) => `${rate}/s p50 ms | ${rate}/s p99 ms | ${rate}/s max ms`).join(' | ')} |`,
          `| --- | ${options.openLoopRates.map(() => '---: | ---: | ---:').join(' | ')} |`,
          ...report.scenarios.map((result) => openRow(result, options.openLoopRates)),
          '',
        ]
      : []),
    'Targets (read, not asserted):',
    '',
    ...targetLines(report).map((line) => `- ${line}`),
    ...(report.failures.length > 0 ? ['', 'FAILED:', '', ...report.failures.map((line) => `- ${line}`)] : []),
    '',
  ].join('\n');
}
