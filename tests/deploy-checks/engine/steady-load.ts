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
  send: () => Promise<RawResponse>;
  fault: () => Promise<unknown>;
}): Promise<LoadRun> {
  const results: LoadResult[] = [];
  const started = performance.now();
  let faultStartedAt = Number.POSITIVE_INFINITY;
  let faultEndedAt = Number.POSITIVE_INFINITY;
  const client = async () => {
    while (performance.now() - started < options.durationMs) {
      const startedAt = performance.now();
      try {
        const response = await options.send();
        results.push({ startedAt, endedAt: performance.now(), status: response.status });
      } catch (error) {
        results.push({ startedAt, endedAt: performance.now(), status: 0, error: error instanceof Error ? error.message : String(error) });
      }
    }
  };
  const fault = (async () => {
    await new Promise((resolve) => setTimeout(resolve, options.faultAtMs));
    faultStartedAt = performance.now();
    await options.fault();
    faultEndedAt = performance.now();
  })();
  await Promise.all([...Array.from({ length: options.concurrency }, client), fault]);
  return {
    results,
    failures: results.filter((r) => r.status !== 200),
    faultStartedAt,
    faultEndedAt,
    inFlightAtFault: results.filter((r) => r.startedAt < faultEndedAt && r.endedAt > faultStartedAt).length,
  };
}
