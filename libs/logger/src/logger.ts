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
}

const RESERVED = new Set(['level', 'message', 'service', 'requestId', 'timestamp']);

/** Runs last, so nothing another format or a caller adds escapes redaction. */
const redactInfo = winston.format((info) => {
  const requestId = currentRequestId();
  if (requestId && info.requestId === undefined) info.requestId = requestId;
  if (typeof info.message === 'string') info.message = redactString(info.message);
  for (const key of Object.keys(info)) {
    if (RESERVED.has(key)) continue;
    const value = (info as Record<string, unknown>)[key];
    (info as Record<string, unknown>)[key] = (redact({ [key]: value }) as Record<string, unknown>)[key];
  }
  return info;
});

export function createLogger({ service, level = 'info', stream }: LoggerOptions): Logger {
  return winston.createLogger({
    level,
    defaultMeta: { service },
    format: winston.format.combine(winston.format.errors({ stack: true }), winston.format.timestamp(), redactInfo(), winston.format.json()),
    transports: [stream ? new winston.transports.Stream({ stream }) : new winston.transports.Console()],
  });
}
