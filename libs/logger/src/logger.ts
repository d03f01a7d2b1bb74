import winston from 'winston';
import type { Writable } from 'node:stream';
import { currentRequestId } from './context';
import { redact, redactString } from './redact';

export type Logger = winston.Logger;

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Tests pass a stream to read what was logged; production writes JSON lines to stdout. */
  stream?: Writable;
  /** LOG_IDENTITY_KEY: identities are logged as a keyed hash under it; without it, not at all. */
  identityKey?: Uint8Array;
}

const RESERVED = new Set(['level', 'message', 'service', 'requestId', 'timestamp']);

/** Runs last, so nothing another format or a caller adds escapes redaction. */
const redactInfo = winston.format((info, opts) => {
  const { identityKey } = (opts ?? {}) as { identityKey?: Uint8Array };
  const requestId = currentRequestId();
  if (requestId && info.requestId === undefined) info.requestId = requestId;
  if (typeof info.message === 'string') info.message = redactString(info.message);
  for (const key of Object.keys(info)) {
    if (RESERVED.has(key)) continue;
    const value = (info as Record<string, unknown>)[key];
    (info as Record<string, unknown>)[key] = (redact({ [key]: value }, 0, identityKey) as Record<string, unknown>)[key];
  }
  return info;
});

type LevelMethod = (...args: unknown[]) => Logger;

/**
 * winston runs the logger's formats (timestamp, redaction, JSON) on every call and lets the transport
 * drop a disabled level afterwards: at LOG_LEVEL=warn each request still paid for formatting its
 * access-log line. A disabled level now returns before any of that (the level is read per call, so
 * changing `logger.level` later still works).
 */
function skipDisabledLevels(logger: Logger): Logger {
  const methods = logger as unknown as Record<string, LevelMethod>;
  for (const name of Object.keys(logger.levels)) {
    const write = methods[name];
    if (typeof write !== 'function') continue;
    methods[name] = (...args: unknown[]) => (logger.isLevelEnabled(name) ? write.apply(logger, args) : logger);
  }
  return logger;
}

export function createLogger({ service, level = 'info', stream, identityKey }: LoggerOptions): Logger {
  return skipDisabledLevels(
    winston.createLogger({
      level,
      defaultMeta: { service },
      format: winston.format.combine(winston.format.errors({ stack: true }), winston.format.timestamp(), redactInfo(identityKey ? { identityKey } : {}), winston.format.json()),
      transports: [stream ? new winston.transports.Stream({ stream }) : new winston.transports.Console()],
    }),
  );
}
