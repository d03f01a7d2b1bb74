import { exitOnSignals, listen, runService } from '@webchat/http-kit';
import { createLogger } from '@webchat/logger';
import { ServiceTokenVerifier } from '@webchat/service-auth';
import { SERVICE_NAME, createApp } from './app';
import { loadScopedAuthConfig } from './config';
import { createTokenKeys } from './domain/keys';

async function main(): Promise<void> {
  const config = loadScopedAuthConfig(process.env);
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

runService(SERVICE_NAME, main);
