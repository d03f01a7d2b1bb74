import { exitOnSignals, listen, runService } from '@webchat/http-kit';
import { InternalClient } from '@webchat/internal-client';
import { createLogger } from '@webchat/logger';
import { ServiceTokenSigner, ServiceTokenVerifier } from '@webchat/service-auth';
import { SERVICE_NAME, createApp } from './app';
import { loadFederatedAuthConfig } from './config';

async function main(): Promise<void> {
  const config = loadFederatedAuthConfig(process.env);
  const logger = createLogger({ service: SERVICE_NAME, level: config.logLevel });
  const verifier = new ServiceTokenVerifier({ audience: SERVICE_NAME, publicKeys: config.serviceAuth.publicKeys });
  const signer = new ServiceTokenSigner({ issuer: SERVICE_NAME, privateKey: config.serviceAuth.privateKey });
  const scopedAuth = new InternalClient({ service: 'scoped-auth', baseUrl: config.scopedAuth.url, signer, timeoutMs: config.scopedAuth.timeoutMs });
  const { app, lifecycle } = createApp({ config, logger, verifier, scopedAuth });
  const running = await listen({ app, port: config.port, host: config.host, lifecycle });
  logger.info('listening', { url: running.url, scopedAuthUrl: config.scopedAuth.url });
  exitOnSignals(running, logger, async () => scopedAuth.close());
}

runService(SERVICE_NAME, main);
