import { setTimeout as delay } from 'node:timers/promises';
import type { RawRequest } from '@webchat/test-harness';
import { exchange } from './client';
import { ANSWER_DEADLINE_MS } from './mode';
import { problemCode } from './problems';
import type { ErrorCode } from '@webchat/contracts';

export interface LoadRequest {
  kind: string;
  request: RawRequest;
}

export interface LoadResult {
  kind: string;
  /** Milliseconds since the load started. */
  at: number;
  ms: number;
  /** Absent when no response came (refused, reset, or no answer within the deadline). */
  status?: number;
  code?: ErrorCode;
  text?: string;
  error?: string;
}

export interface LoadOptions {
  workers: number;
  durationMs: number;
  /** The next request of one worker; called again for every request. */
  next(worker: number, sequence: number): LoadRequest;
  /** Pause between one worker's requests: light load, not a benchmark. */
  pauseMs?: number;
}

/** One request on a fresh connection, recorded with its time since `started`. */
export async function sendOne(port: number, { kind, request }: LoadRequest, started: number): Promise<LoadResult> {
  const at = performance.now() - started;
  const outcome = await exchange(port, { ...request, timeoutMs: ANSWER_DEADLINE_MS });
  if (!outcome.ok) return { kind, at, ms: outcome.ms, error: outcome.error };
  const code = problemCode(outcome.response);
  return { kind, at, ms: outcome.ms, status: outcome.response.status, text: outcome.response.text, ...(code ? { code } : {}) };
}

/**
 * A small closed loop of workers, each on a fresh connection per request (as separate browsers are),
 * for a bounded time. A request that gets no answer within ANSWER_DEADLINE_MS counts as hung.
 */
export async function runLoad(port: number, options: LoadOptions): Promise<LoadResult[]> {
  const results: LoadResult[] = [];
  const started = performance.now();
  const deadline = started + options.durationMs;
  const worker = async (id: number) => {
    for (let sequence = 0; performance.now() < deadline; sequence++) {
      results.push(await sendOne(port, options.next(id, sequence), started));
      await delay(options.pauseMs ?? 15);
    }
  };
  await Promise.all(Array.from({ length: options.workers }, (_, id) => worker(id)));
  return results;
}

/** One line per kind and outcome, for figures and failure messages. */
export function tally(results: LoadResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) {
    const key = `${r.kind} ${r.error ? 'NO ANSWER' : r.status}${r.code ? ` ${r.code}` : ''}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}
