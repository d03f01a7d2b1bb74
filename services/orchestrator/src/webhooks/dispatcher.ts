import { Logger as WorkerLogger, run, type Runner, type Task } from 'graphile-worker';
import type { Logger } from '@webchat/logger';
import { IdentitySecretSealer } from '../data-access/identity-secrets';
import { isStoreUnavailable, type Database } from '../data-access/pool';
import { sealClearWebhookSecrets } from '../data-access/webhook-secrets';
import type { DispatcherConfig } from './config';
import { createDrain } from './drain';
import { wakeDrain, wakeOverdue, type DrainTarget } from './outbox';

const isTarget = (payload: unknown): payload is DrainTarget =>
  typeof (payload as DrainTarget | null)?.endpointId === 'string' && typeof (payload as DrainTarget).conversationSid === 'string';

/**
 * The dispatcher: graphile-worker runs `webhook_drain` jobs (queued by the outbox trigger in the writer's
 * transaction) and a `webhook_sweep` cron that re-wakes deliveries a dead dispatcher left behind.
 */
export async function startDispatcher(db: Database, config: DispatcherConfig, logger: Logger): Promise<Runner> {
  const sealer = new IdentitySecretSealer(config.IDENTITY_SECRETS_KEY);
  // Endpoints written before secrets were sealed are sealed now (the migration could not: the key is not in SQL).
  const sealed = await sealClearWebhookSecrets(db, sealer);
  if (sealed > 0) logger.info('webhook signing secrets sealed', { endpoints: sealed });
  const drain = createDrain(
    db,
    {
      retry: { baseDelayMs: config.WEBHOOK_RETRY_BASE_MS, maxDelayMs: config.WEBHOOK_RETRY_MAX_MS, horizonMs: config.WEBHOOK_RETRY_HORIZON_SECONDS * 1000 },
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      urls: { allowLocal: config.WEBHOOK_ALLOW_LOCAL_URLS },
      perEndpointConcurrency: config.WEBHOOK_ENDPOINT_CONCURRENCY,
      batch: 50,
      busyRecheckMs: 1000,
      sealer,
    },
    logger,
  );
  /*
   * A drain that throws (the database timed out or restarted) is woken again after the first retry delay. Left
   * to graphile-worker, it would wait exp(attempts) seconds, or never run again if a wake-up arrived while it
   * ran (that one took its job key and then found the head locked by it).
   */
  const drainOrRetry = async (target: DrainTarget) => {
    try {
      await drain(target);
    } catch (error) {
      const { code, name } = error as { code?: unknown; name?: unknown };
      logger.warn('webhook drain failed; woken again', {
        endpointId: target.endpointId, conversationSid: target.conversationSid,
        error: isStoreUnavailable(error) ? 'database unavailable' : String(code ?? name), retryInMs: config.WEBHOOK_RETRY_BASE_MS,
      });
      // keepPending: a wake-up that arrived meanwhile is not postponed. If this throws too, graphile-worker retries.
      await wakeDrain(db, target, new Date(Date.now() + config.WEBHOOK_RETRY_BASE_MS), { keepPending: true });
    }
  };
  const sweep = async (graceSeconds: number) => {
    const woken = await wakeOverdue(db, graceSeconds);
    if (woken > 0) logger.info('webhook deliveries woken again', { conversations: woken });
  };
  const tasks: Record<string, Task> = {
    webhook_drain: async (payload) => {
      if (!isTarget(payload)) return; // not ours to retry: a malformed payload never becomes valid
      await drainOrRetry(payload);
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
