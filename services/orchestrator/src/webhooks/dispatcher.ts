import { Logger as WorkerLogger, run, type Runner, type Task } from 'graphile-worker';
import type { Logger } from '@webchat/logger';
import type { Database } from '../data-access/pool';
import type { DispatcherConfig } from './config';
import { createDrain, type DrainTarget } from './drain';
import { wakeOverdue } from './outbox';

const isTarget = (payload: unknown): payload is DrainTarget =>
  typeof (payload as DrainTarget | null)?.endpointId === 'string' && typeof (payload as DrainTarget).conversationSid === 'string';

/**
 * The dispatcher: graphile-worker runs `webhook_drain` jobs (queued by the outbox trigger in the writer's
 * transaction) and a `webhook_sweep` cron that re-wakes deliveries a dead dispatcher left behind.
 */
export async function startDispatcher(db: Database, config: DispatcherConfig, logger: Logger): Promise<Runner> {
  const reschedule = async (target: DrainTarget, runAt: Date) => {
    await db.query('SELECT webhook_wake($1, $2, $3)', [target.endpointId, target.conversationSid, runAt]);
  };
  const drain = createDrain(
    db,
    {
      retry: { baseDelayMs: config.WEBHOOK_RETRY_BASE_MS, maxDelayMs: config.WEBHOOK_RETRY_MAX_MS, horizonMs: config.WEBHOOK_RETRY_HORIZON_SECONDS * 1000 },
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      urls: { allowLocal: config.WEBHOOK_ALLOW_LOCAL_URLS },
      perEndpointConcurrency: config.WEBHOOK_ENDPOINT_CONCURRENCY,
      batch: 50,
    },
    logger,
    reschedule,
  );
  const sweep = async (graceSeconds: number) => {
    const woken = await wakeOverdue(db, graceSeconds);
    if (woken > 0) logger.info('webhook deliveries woken again', { conversations: woken });
  };
  const tasks: Record<string, Task> = {
    webhook_drain: async (payload) => {
      if (!isTarget(payload)) return; // not ours to retry: a malformed payload never becomes valid
      await drain(payload);
    },
    webhook_sweep: async () => sweep(config.WEBHOOK_SWEEP_GRACE_SECONDS),
  };
  // graphile-worker's own messages are about jobs, never payloads; only warnings and errors are kept.
  const workerLogger = new WorkerLogger(() => (level, message) => {
    if (level === 'error' || level === 'warning') logger.warn('job queue', { level, message: message.slice(0, 300) });
  });
  const runner = await run({
    pgPool: db.pool,
    concurrency: config.WEBHOOK_CONCURRENCY,
    pollInterval: config.WEBHOOK_POLL_INTERVAL_MS,
    noHandleSignals: true,
    taskList: tasks,
    crontab: '* * * * * webhook_sweep',
    logger: workerLogger,
  });
  // At start, whatever is due is woken at once: a dispatcher that was killed mid-batch left it pending.
  await sweep(0);
  return runner;
}
