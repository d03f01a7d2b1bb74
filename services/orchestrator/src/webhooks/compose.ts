import { createServiceApp, type ServiceApp } from '@webchat/http-kit';
import { createLogger, type Logger } from '@webchat/logger';
import { createDatabase, type Database } from '../data-access/pool';
import { DISPATCHER_SERVICE_NAME, type DispatcherConfig } from './config';
import { startDispatcher } from './dispatcher';

/*
 * The dispatcher's root lives apart from the orchestrator's (src/compose.ts): graphile-worker is ESM-only,
 * and the API process and the jest harness that build the orchestrator must not load it.
 */
export interface WebhookDispatcher extends ServiceApp {
  logger: Logger;
  db: Database;
  /** Stops taking jobs, then releases the pool (after the health server has closed). */
  close(): Promise<void>;
}

/** The webhook dispatcher's composition root (its own process: webhook-dispatcher.ts). */
export async function buildWebhookDispatcher(config: DispatcherConfig, overrides: { logger?: Logger } = {}): Promise<WebhookDispatcher> {
  const logger = overrides.logger ?? createLogger({ service: DISPATCHER_SERVICE_NAME, level: config.LOG_LEVEL });
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
  const service = createServiceApp(
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
  return {
    ...service,
    logger,
    db,
    async close() {
      await runner.stop();
      await db.close();
    },
  };
}
