import { exitOnSignals, listen, runService } from '@webchat/http-kit';
import { DISPATCHER_SERVICE_NAME, loadDispatcherConfig } from './webhooks/config';
import { buildWebhookDispatcher } from './webhooks/compose';

/** The webhook dispatcher, its own process: `pnpm --filter @webchat/orchestrator dispatcher`, `node dist/webhook-dispatcher.js` in the image. */
async function main(): Promise<void> {
  const config = loadDispatcherConfig();
  const dispatcher = await buildWebhookDispatcher(config);
  const running = await listen({ app: dispatcher.app, port: config.PORT, host: config.HOST, lifecycle: dispatcher.lifecycle });
  dispatcher.logger.info('dispatching webhooks', {
    health: running.url,
    concurrency: config.WEBHOOK_CONCURRENCY,
    allowLocalUrls: config.WEBHOOK_ALLOW_LOCAL_URLS,
    retryHorizonSeconds: config.WEBHOOK_RETRY_HORIZON_SECONDS,
  });
  exitOnSignals(running, dispatcher.logger, () => dispatcher.close());
}

runService(DISPATCHER_SERVICE_NAME, main);
