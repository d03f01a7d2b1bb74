import type { Logger } from '@webchat/logger';

/** Where the failure counts live: deletes at most `batchSize` counts of tokens that can no longer be presented. */
export interface ExpiredFailureStore {
  prune(batchSize: number): Promise<number>;
}

/** How often each replica prunes, and how much at most per run: a backlog goes over several runs. */
export const TOKEN_FAILURE_PRUNING = { everyMs: 10 * 60_000, batchSize: 500, batchesPerRun: 20 } as const;

export interface TokenFailurePruner {
  /** One run now (the timer's work): the rows deleted. */
  run(): Promise<number>;
  stop(): void;
}

/**
 * Deletes, on a timer, the failure counts of tokens that can no longer be presented even as a previous
 * token (past `forget_after`), so the table holds only tokens still usable somewhere. Cheap: a few small
 * indexed DELETEs every ten minutes per replica, never on a request's path.
 */
export function pruneTokenFailures(
  table: ExpiredFailureStore,
  logger: Logger,
  options: { everyMs?: number; batchSize?: number; batchesPerRun?: number; afterPrune?: () => void } = {},
): TokenFailurePruner {
  const { everyMs, batchSize, batchesPerRun } = { ...TOKEN_FAILURE_PRUNING, ...options };
  let running: Promise<number> | undefined;
  async function once(): Promise<number> {
    let total = 0;
    for (let batch = 0; batch < batchesPerRun; batch++) {
      const deleted = await table.prune(batchSize);
      total += deleted;
      if (deleted < batchSize) break;
    }
    options.afterPrune?.();
    if (total > 0) logger.info('pruned failure counts of tokens that can no longer be used', { rows: total });
    return total;
  }
  const run = () =>
    (running ??= once()
      .catch((err: unknown) => {
        logger.warn('could not prune token failure counts; trying again later', { err });
        return 0;
      })
      .finally(() => (running = undefined)));
  const timer = setInterval(() => void run(), everyMs);
  timer.unref();
  return { run, stop: () => clearInterval(timer) };
}
