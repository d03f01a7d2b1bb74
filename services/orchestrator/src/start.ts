import { exitOnSignals, listen, runService } from '@webchat/http-kit';
import { SERVICE_NAME, loadOrchestratorConfig } from './config';
import { buildOrchestrator } from './compose';

async function main(): Promise<void> {
  const config = loadOrchestratorConfig();
  const orchestrator = await buildOrchestrator(config);
  const running = await listen({ app: orchestrator.app, port: config.PORT, host: config.HOST, lifecycle: orchestrator.lifecycle });
  orchestrator.logger.info('listening', { url: running.url });
  // Registered before exitOnSignals' handler, so streams end (with a retry hint) before the server waits for them.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => orchestrator.drainStreams());
  exitOnSignals(running, orchestrator.logger, () => orchestrator.close());
}

runService(SERVICE_NAME, main);
