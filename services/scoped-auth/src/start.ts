import { ConfigError } from '@webchat/config';
import { exitOnSignals, listen } from '@webchat/http-kit';
import { createLogger } from '@webchat/logger';
import { ServiceTokenVerifier } from '@webchat/service-auth';
import { SERVICE_NAME, createApp } from './app';
import { loadScopedAuthConfig } from './config';
import { createTokenKeys } from './domain/keys';

async function main(): Promise<void> {
  let config;
  try {
    config = loadScopedAuthConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    createLogger({ service: SERVICE_NAME }).error('refusing to start: invalid configuration', { problems: err.problems });
    process.exitCode = 1;
    return;
  }
  const logger = createLogger({ service: SERVICE_NAME, level: config.logLevel });
  const keys = await createTokenKeys(config.keys);
  const verifier = new ServiceTokenVerifier({ audience: SERVICE_NAME, publicKeys: config.serviceAuth.publicKeys });
  const { app, lifecycle } = createApp({ config, logger, keys, verifier });
  const running = await listen({ app, port: config.port, host: config.host, lifecycle });
  logger.info('listening', {
    url: running.url,
    signingKid: keys.signing.kid,
    encryptionKid: keys.encryption.kid,
    verificationKids: [...keys.verification.keys()],
    decryptionKids: [...keys.decryption.keys()],
  });
  exitOnSignals(running, logger);
}

main().catch((err: unknown) => {
  createLogger({ service: SERVICE_NAME }).error('failed to start', { err });
  process.exitCode = 1;
});
