import { PassThrough } from 'node:stream';
import { createLogger, type Logger } from '@webchat/logger';

/** A logger whose JSON lines the test can read. */
export function capturingLogger(service: string): { logger: Logger; records: () => Record<string, unknown>[] } {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  const logger = createLogger({ service, stream });
  return { logger, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

export const flushLogs = () => new Promise((resolve) => setImmediate(resolve));
