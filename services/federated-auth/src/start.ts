import { exitOnSignals, listen, runService } from '@webchat/http-kit';
import { SERVICE_NAME } from './app';
import { buildFederatedAuth } from './compose';
import { loadFederatedAuthConfig } from './config';

async function main(): Promise<void> {
  const config = loadFederatedAuthConfig(process.env);
  const federatedAuth = buildFederatedAuth(config);
  const running = await listen({ app: federatedAuth.app, port: config.port, host: config.host, lifecycle: federatedAuth.lifecycle });
  federatedAuth.logger.info('listening', { url: running.url, scopedAuthUrl: config.scopedAuth.url });
  exitOnSignals(running, federatedAuth.logger, () => federatedAuth.close());
}

runService(SERVICE_NAME, main);
