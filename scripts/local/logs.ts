import { createReadStream, createWriteStream, statSync, type WriteStream } from 'node:fs';
import type { Readable } from 'node:stream';

const useColor = (): boolean =>
  process.env.NO_COLOR === undefined && (process.env.FORCE_COLOR !== undefined || process.stdout.isTTY === true);

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;
export type Color = keyof typeof CODES;

export function paint(color: Color, text: string): string {
  return useColor() ? `\u001b[${CODES[color]}m${text}\u001b[0m` : text;
}

const LEVEL_COLORS: Record<string, Color> = { error: 'red', warn: 'yellow', info: 'green', debug: 'gray' };
const HIDDEN = new Set(['level', 'message', 'service', 'timestamp', 'time']);
/** An nginx access-log line already shows these in its message. */
const ACCESS_SHOWN = new Set(['method', 'path', 'status']);

/** A JSON log line as `time level message key=value ...`; anything else unchanged. */
export function prettyLine(line: string): string {
  if (!line.startsWith('{')) return line;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = String(entry.timestamp ?? entry.time ?? '').slice(11, 19);
  const level = String(entry.level ?? (entry.status ? 'http' : 'info'));
  const message = String(entry.message ?? (entry.method ? `${String(entry.method)} ${String(entry.path)} ${String(entry.status)}` : ''));
  const access = entry.message === undefined && entry.method !== undefined;
  const rest = Object.entries(entry)
    .filter(([key, value]) => !HIDDEN.has(key) && !(access && ACCESS_SHOWN.has(key)) && value !== '' && value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${paint('gray', time)} ${paint(LEVEL_COLORS[level] ?? 'blue', level.padEnd(5))} ${message}${rest ? ` ${paint('gray', rest)}` : ''}`;
}

/** One process's output: raw lines to its log file, pretty prefixed lines to the console. */
export class LogSink {
  private readonly file: WriteStream | undefined;
  private readonly prefix: string;

  /** Without a file path, console only (for output that already has its own file). */
  constructor(name: string, color: Color, filePath?: string, width = 14) {
    this.file = filePath === undefined ? undefined : createWriteStream(filePath, { flags: 'a' });
    this.prefix = `${paint(color, name.padEnd(width))} ${paint('gray', '|')} `;
  }

  line(text: string): void {
    this.file?.write(`${text}\n`);
    process.stdout.write(`${this.prefix}${prettyLine(text)}\n`);
  }

  attach(stream: Readable): void {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.line(line.replace(/\r$/, ''));
    });
    stream.on('end', () => {
      if (rest.trim()) this.line(rest);
      rest = '';
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.file ? this.file.end(resolve) : resolve()));
  }
}

/**
 * Follows a file another process appends to (nginx's access log) and prints new lines; polling,
 * because nginx writes from its own workers and there is no pipe to read.
 */
export function followFile(path: string, print: (line: string) => void, intervalMs = 250): () => void {
  let offset = (() => {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  })();
  let rest = '';
  let reading = false;
  const timer = setInterval(() => {
    if (reading) return;
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return;
    }
    if (size < offset) offset = 0; // rotated or truncated
    if (size === offset) return;
    reading = true;
    const stream = createReadStream(path, { start: offset, end: size - 1, encoding: 'utf8' });
    stream.on('data', (chunk) => {
      const lines = (rest + String(chunk)).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) print(line);
    });
    stream.on('close', () => {
      offset = size;
      reading = false;
    });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
