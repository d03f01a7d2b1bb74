import { init, integrations, type LDClient, type LDLogger } from '@launchdarkly/node-server-sdk';
import type { Logger } from '@webchat/logger';

/** The SDK's log lines go through our logger, so they carry the service name and get redacted. */
export const ldLogger = (logger: Logger): LDLogger => ({
  error: (...args: unknown[]) => logger.error(`launchdarkly: ${args.map(String).join(' ')}`),
  warn: (...args: unknown[]) => logger.warn(`launchdarkly: ${args.map(String).join(' ')}`),
  info: (...args: unknown[]) => logger.debug(`launchdarkly: ${args.map(String).join(' ')}`),
  debug: () => {},
});

export interface LaunchDarklyOptions {
  sdkKey?: string | undefined;
  flagsFile: string;
  logger: Logger;
}

/**
 * With an SDK key, LaunchDarkly itself; without one, the committed flags file (offline, no network),
 * so development and CI behave the same on a machine without internet.
 */
export function createLaunchDarklyClient({ sdkKey, flagsFile, logger }: LaunchDarklyOptions): LDClient {
  if (sdkKey) return init(sdkKey, { logger: ldLogger(logger) });
  const fileSource = new integrations.FileDataSourceFactory({ paths: [flagsFile], autoUpdate: false });
  return init('offline-flags-file', {
    updateProcessor: fileSource.getFactory(),
    sendEvents: false,
    diagnosticOptOut: true,
    logger: ldLogger(logger),
  });
}

