import type { RawResponse } from '@webchat/test-harness';

export interface LoadResult {
  startedAt: number;
  endedAt: number;
  status: number;
  error?: string;
}

export interface LoadRun {
  results: LoadResult[];
  failures: LoadResult[];
  faultStartedAt: number;
  faultEndedAt: number;
  /** Requests on their way while the fault happened: sent before it was done, answered (or failed) after it began. */
  inFlightAtFault: number;
}

/**
 * `concurrency` clients each sending one request after another for `durationMs`; `fault` runs once at
 * `faultAtMs`. Every request is recorded with its start and end, so a failure can be told apart as in flight
 * at the fault (allowed) or sent after it (not allowed).
 */
export async function runSteadyLoad(options: {
  concurrency: number;
  durationMs: number;
  faultAtMs: number;
  /** At least this long between the starts of one client's requests (a per-client pace); default 0. */
  minIntervalMs?: number;
  /** One request of client `client` (0 .. concurrency - 1). */
  send: (client: number) => Promise<RawResponse>;
  fault: () => Promise<unknown>;
}): Promise<LoadRun> {
  const results: LoadResult[] = [];
  const started = performance.now();
  let faultStartedAt = Number.POSITIVE_INFINITY;
  let faultEndedAt = Number.POSITIVE_INFINITY;
  const client = async (index: number) => {
    while (performance.now() - started < options.durationMs) {
      const startedAt = performance.now();
      try {
        const response = await options.send(index);
        results.push({ startedAt, endedAt: performance.now(), status: response.status });
      } catch (error) {
        results.push({ startedAt, endedAt: performance.now(), status: 0, error: error instanceof Error ? error.message : String(error) });
      }
      const wait = startedAt + (options.minIntervalMs ?? 0) - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  };
  const fault = (async () => {
    await new Promise((resolve) => setTimeout(resolve, options.faultAtMs));
    faultStartedAt = performance.now();
    await options.fault();
    faultEndedAt = performance.now();
  })();
  await Promise.all([...Array.from({ length: options.concurrency }, (_, index) => client(index)), fault]);
  return {
    results,
    failures: results.filter((r) => r.status !== 200),
    faultStartedAt,
    faultEndedAt,
    inFlightAtFault: results.filter((r) => r.startedAt < faultEndedAt && r.endedAt > faultStartedAt).length,
  };
}
