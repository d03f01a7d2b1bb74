import { ConfigError } from '@webchat/config';
import { exitOnSignals, listen } from '@webchat/http-kit';
import { InternalClient } from '@webchat/internal-client';
import { createLogger } from '@webchat/logger';
import { ServiceTokenSigner, ServiceTokenVerifier } from '@webchat/service-auth';
import { SERVICE_NAME, createApp } from './app';
import { loadFederatedAuthConfig } from './config';

async function main(): Promise<void> {
  let config;
  try {
    config = loadFederatedAuthConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    createLogger({ service: SERVICE_NAME }).error('refusing to start: invalid configuration', { problems: err.problems });
    process.exitCode = 1;
    return;
  }
  const logger = createLogger({ service: SERVICE_NAME, level: config.logLevel });
  const verifier = new ServiceTokenVerifier({ audience: SERVICE_NAME, publicKeys: config.serviceAuth.publicKeys });
  const signer = new ServiceTokenSigner({ issuer: SERVICE_NAME, privateKey: config.serviceAuth.privateKey });
  const scopedAuth = new InternalClient({ service: 'scoped-auth', baseUrl: config.scopedAuth.url, signer, timeoutMs: config.scopedAuth.timeoutMs });
  const { app, lifecycle } = createApp({ config, logger, verifier, scopedAuth });
  const running = await listen({ app, port: config.port, host: config.host, lifecycle });
  logger.info('listening', { url: running.url, scopedAuthUrl: config.scopedAuth.url });
  exitOnSignals(running, logger, async () => scopedAuth.close());
}

main().catch((err: unknown) => {
  createLogger({ service: SERVICE_NAME }).error('failed to start', { err });
  process.exitCode = 1;
});
