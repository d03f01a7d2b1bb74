import { exitOnSignals, listen, runService } from '@webchat/http-kit';
import { SERVICE_NAME } from './app';
import { buildScopedAuth } from './compose';
import { loadScopedAuthConfig } from './config';

async function main(): Promise<void> {
  const config = loadScopedAuthConfig(process.env);
  const { app, lifecycle, logger, keys } = await buildScopedAuth(config);
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
