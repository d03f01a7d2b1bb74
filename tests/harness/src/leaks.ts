import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Everything secret a test saw or made (tokens, deployment keys, service JWTs, key material, raw
 * fingerprint signals), and a scan of log lines for any of it or anything shaped like it.
 */
export type SecretKind = 'token' | 'deployment key' | 'agent key' | 'service token' | 'key material' | 'fingerprint signal' | 'guest identity' | 'identity secret';

export interface LogLine {
  source: string;
  line: string;
}

export interface Leak {
  source: string;
  kind: SecretKind | 'shape';
  what: string;
  line: string;
}

/** Shapes that must never be logged whoever sent them: the redaction rules, checked from outside. */
const SHAPES: Array<{ what: string; pattern: RegExp }> = [
  // JWS and JWE (guest tokens, service tokens) both start with a base64url JSON header.
  { what: 'a JWT/JWE', pattern: /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*\./ },
  { what: 'a PEM key', pattern: /-----BEGIN [A-Z ]*KEY-----/ },
  // The logger keeps `dk_` and four characters; a full key is `dk_` and 32 base64url characters.
  { what: 'a full deployment key', pattern: /dk_[A-Za-z0-9_-]{16,}/ },
];

/** One leak as a report line: where, what kind, and the line (so a failure names what to fix). */
export const describeLeak = (leak: Leak) => `${leak.source}: ${leak.kind} (${leak.what}) in ${leak.line}`;

export class SecretWatch {
  private readonly secrets = new Map<string, SecretKind>();

  /**
   * Values shorter than 12 characters are too common to search for verbatim. Each is also searched
   * for as it appears inside a JSON log line (quotes and backslashes escaped).
   */
  add(kind: SecretKind, ...values: Array<string | undefined>): void {
    for (const value of values) {
      if (!value || value.length < 12) continue;
      this.secrets.set(value, kind);
      this.secrets.set(JSON.stringify(value).slice(1, -1), kind);
    }
  }

  get size(): number {
    return this.secrets.size;
  }

  scan(lines: Iterable<LogLine>): Leak[] {
    const leaks: Leak[] = [];
    for (const entry of lines) {
      for (const [secret, kind] of this.secrets) {
        if (entry.line.includes(secret)) leaks.push({ source: entry.source, kind, what: `${secret.slice(0, 16)}…`, line: entry.line.slice(0, 300) });
      }
      for (const { what, pattern } of SHAPES) {
        if (pattern.test(entry.line)) leaks.push({ source: entry.source, kind: 'shape', what, line: entry.line.slice(0, 300) });
      }
    }
    return leaks;
  }
}

/** The widget's signals as one test client sends them; each value is distinctive enough to search for. */
export const SIGNAL_HEADERS = ['user-agent', 'accept-language', 'x-webchat-sec-usersettings', 'x-webchat-sec-decoders', 'x-webchat-sec-webchatinfo'] as const;

export function watchSignals(watch: SecretWatch, headers: Record<string, string>): void {
  for (const name of SIGNAL_HEADERS) watch.add('fingerprint signal', headers[name]);
}

/** Every non-empty line of the log files under `dir` (any depth) whose names end in `.log`, by file. */
export function logFileLines(dir: string, skip: (relativePath: string) => boolean = () => false): LogLine[] {
  const lines: LogLine[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.log')) continue;
    const file = join(entry.parentPath, entry.name);
    const source = relative(dir, file);
    if (skip(source)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) if (line) lines.push({ source, line });
  }
  return lines;
}
