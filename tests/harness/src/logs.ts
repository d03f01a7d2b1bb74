import { PassThrough } from 'node:stream';
import { createLogger, type Logger } from '@webchat/logger';

/** A logger whose JSON lines a test can read back. */
export function captureLogs(service: string): { logger: Logger; lines: () => string[] } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  return { logger: createLogger({ service, level: 'debug', stream }), lines: () => chunks.join('').split('\n').filter(Boolean) };
}
