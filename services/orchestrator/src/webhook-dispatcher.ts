import { createLogger } from '@webchat/logger';
import { createServiceApp, exitOnSignals, listen, runService } from '@webchat/http-kit';
import { createDatabase } from './data-access/pool';
import { DISPATCHER_SERVICE_NAME, loadDispatcherConfig } from './webhooks/config';
import { startDispatcher } from './webhooks/dispatcher';

/** The webhook dispatcher, its own process: `pnpm --filter @webchat/orchestrator dispatcher`, `node dist/webhook-dispatcher.js` in the image. */
async function main(): Promise<void> {
  const config = loadDispatcherConfig();
  const logger = createLogger({ service: DISPATCHER_SERVICE_NAME, level: config.LOG_LEVEL });
  const db = createDatabase({
    connectionString: config.DATABASE_URL,
    // graphile-worker shares the pool: one connection per concurrent job, plus its listener and the sweep.
    max: config.WEBHOOK_CONCURRENCY + 4,
    connectTimeoutMs: 5000,
    statementTimeoutMs: Math.max(10_000, config.WEBHOOK_TIMEOUT_MS * 2),
    applicationName: DISPATCHER_SERVICE_NAME,
    onError: (err) => logger.warn('idle database connection failed', { err }),
  });
  // A checked-out client whose connection drops (Postgres restart) must not crash the process; its job is retried.
  db.pool.on('connect', (client) => client.on('error', (err) => logger.warn('database connection failed', { err })));
  const runner = await startDispatcher(db, config, logger);
  const { app, lifecycle } = createServiceApp(
    {
      service: DISPATCHER_SERVICE_NAME,
      logger,
      body: { limit: '1kb' },
      readiness: {
        store: async () => {
          await db.ping();
          return true;
        },
      },
    },
    () => undefined,
  );
  const running = await listen({ app, port: config.PORT, host: config.HOST, lifecycle });
  logger.info('dispatching webhooks', {
    health: running.url,
    concurrency: config.WEBHOOK_CONCURRENCY,
    allowLocalUrls: config.WEBHOOK_ALLOW_LOCAL_URLS,
    retryHorizonSeconds: config.WEBHOOK_RETRY_HORIZON_SECONDS,
  });
  exitOnSignals(running, logger, async () => {
    await runner.stop();
    await db.close();
  });
}

runService(DISPATCHER_SERVICE_NAME, main);
