/**
 * Open-loop load (issue 17): requests arrive on a Poisson schedule at a fixed offered rate, whether or
 * not earlier ones have been answered, and each latency is counted from the moment the request was
 * scheduled, not from when it happened to be sent. A stall therefore shows in the latency of every
 * request that arrived during it (no coordinated omission), which is what a guest sees at that load.
 *
 * Why our own: autocannon's `overallRate` fires each connection's quota at the start of every second
 * (a burst, and a closed loop per connection); wrk2 is a constant-rate schedule in C, not in our
 * toolchain and not Poisson. This is the schedule plus a keep-alive node:http sender, nothing more.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { LoadSpec } from './load';

/**
 * Arrival times (ms from the start, ascending, all < seconds × 1000) of a Poisson process of
 * `ratePerSecond`: exponential gaps of mean 1000 / rate. `random` returns [0, 1), as Math.random.
 */
export function poissonArrivals(ratePerSecond: number, seconds: number, random: () => number = Math.random): number[] {
  if (!(ratePerSecond > 0) || !(seconds > 0)) throw new Error(`rate and duration must be positive (got ${ratePerSecond}/s for ${seconds} s)`);
  const meanGapMs = 1000 / ratePerSecond;
  const endMs = seconds * 1000;
  const arrivals: number[] = [];
  // 1 - random() is in (0, 1], so the log is finite.
  for (let at = -Math.log(1 - random()) * meanGapMs; at < endMs; at += -Math.log(1 - random()) * meanGapMs) arrivals.push(at);
  return arrivals;
}

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export interface OpenLoopResult {
  offeredRate: number;
  seconds: number;
  /** Requests the schedule held (all of them are sent unless stopped). */
  scheduled: number;
  responses: number;
  ok: number;
  non2xx: number;
  /** Connection errors and requests unanswered after the per-request timeout. */
  errors: number;
  statusCodes: Record<string, number>;
  /** Answered requests per second of the schedule's length. */
  achievedRate: number;
  /** From the scheduled send to the last byte of the answer. */
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** How late the generator itself sent (event-loop lag): large values mean the client, not the system, was slow. */
  sendLagMs: { p99: number; max: number };
}

export interface OpenLoopOptions {
  timeoutMs?: number;
  random?: () => number;
  /** Headers for the n-th request (e.g. one guest token of a pool each). */
  headersFor?: (index: number) => Record<string, string>;
}

let stopRequested = false;
/** Stops the schedule in flight (Ctrl-C): requests already sent are still awaited. */
export function stopOpenLoop(): void {
  stopRequested = true;
}

const round = (value: number) => Math.round(value * 100) / 100;

export async function runOpenLoop(spec: LoadSpec, ratePerSecond: number, seconds: number, options: OpenLoopOptions = {}): Promise<OpenLoopResult> {
  stopRequested = false;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const arrivals = poissonArrivals(ratePerSecond, seconds, options.random);
  const url = new URL(spec.url);
  const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
  // As many sockets as the load needs: a send never waits for a free connection in the client.
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const latencies: number[] = [];
  const lags: number[] = [];
  const statusCodes: Record<string, number> = {};
  let errors = 0;
  let sent = 0;
  let settled = 0;
  let finish: () => void = () => undefined;
  const allSettled = new Promise<void>((resolve) => (finish = resolve));
  const settle = () => {
    settled += 1;
    if (settled === arrivals.length || (stopRequested && settled === sent)) finish();
  };

  const send = (index: number, scheduledAt: number) => {
    sent += 1;
    lags.push(performance.now() - scheduledAt);
    const headers = { ...((options.headersFor ?? spec.headersFor)?.(index) ?? spec.headers), ...(body ? { 'content-length': String(body.length) } : {}) };
    const request = http.request({ host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: spec.method, headers, agent }, (response) => {
      response.resume();
      response.on('end', () => {
        latencies.push(performance.now() - scheduledAt);
        const code = String(response.statusCode);
        statusCodes[code] = (statusCodes[code] ?? 0) + 1;
        settle();
      });
      response.on('error', () => {
        errors += 1;
        settle();
      });
    });
    request.setTimeout(timeoutMs, () => request.destroy(new Error('timed out')));
    request.on('error', () => {
      errors += 1;
      settle();
    });
    request.end(body);
  };

  const start = performance.now() + 10;
  let next = 0;
  await new Promise<void>((scheduleDone) => {
    const tick = () => {
      const elapsed = performance.now() - start;
      while (next < arrivals.length && arrivals[next]! <= elapsed && !stopRequested) {
        send(next, start + arrivals[next]!);
        next += 1;
      }
      if (next < arrivals.length && !stopRequested) setTimeout(tick, Math.max(0, arrivals[next]! - (performance.now() - start)));
      else scheduleDone();
    };
    setTimeout(tick, 10);
  });
  if (sent === 0 || settled === sent) finish();
  await allSettled;
  agent.destroy();

  latencies.sort((a, b) => a - b);
  lags.sort((a, b) => a - b);
  const responses = latencies.length;
  const ok = Object.entries(statusCodes).reduce((sum, [code, count]) => sum + (code.startsWith('2') ? count : 0), 0);
  return {
    offeredRate: ratePerSecond,
    seconds,
    scheduled: arrivals.length,
    responses,
    ok,
    non2xx: responses - ok,
    errors,
    statusCodes,
    achievedRate: responses / seconds,
    latencyMs: {
      p50: round(percentile(latencies, 50)),
      p90: round(percentile(latencies, 90)),
      p99: round(percentile(latencies, 99)),
      max: round(latencies[latencies.length - 1] ?? Number.NaN),
      mean: round(latencies.reduce((sum, value) => sum + value, 0) / Math.max(1, responses)),
    },
    sendLagMs: { p99: round(percentile(lags, 99)), max: round(lags[lags.length - 1] ?? Number.NaN) },
  };
}
