import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const DEBIAN_POSTGRES_ROOT = '/usr/lib/postgresql';

let cachedBinDir: string | undefined;

/** Newest /usr/lib/postgresql/<version>/bin (Debian layout); PG_BIN_DIR overrides it. */
export function postgresBinDir(): string {
  if (cachedBinDir) return cachedBinDir;
  const override = process.env.PG_BIN_DIR;
  if (override) return (cachedBinDir = override);
  const versions = existsSync(DEBIAN_POSTGRES_ROOT)
    ? readdirSync(DEBIAN_POSTGRES_ROOT)
        .filter((name) => /^\d+(\.\d+)?$/.test(name) && existsSync(join(DEBIAN_POSTGRES_ROOT, name, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (newest === undefined) {
    throw new Error(`no PostgreSQL found under ${DEBIAN_POSTGRES_ROOT}: run scripts/ensure-system-deps.sh`);
  }
  return (cachedBinDir = join(DEBIAN_POSTGRES_ROOT, newest, 'bin'));
}

export function runsAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** uid/gid of the `postgres` account the Debian package creates. */
export function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'));
  const fields = line?.split(':');
  if (!fields || fields.length < 4) {
    throw new Error('PostgreSQL refuses to run as root and there is no "postgres" user to run it as');
  }
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

export interface ToolResult {
  code: number;
  /** stdout and stderr together, for error messages. */
  output: string;
}

/**
 * Runs a PostgreSQL tool, as user postgres when we are root (initdb and postgres refuse root).
 * Never rejects on a non-zero exit: callers decide what a failure means.
 */
export function runPostgresTool(
  command: string,
  args: string[],
  { cwd, asPostgres = true }: { cwd: string; asPostgres?: boolean },
): Promise<ToolResult> {
  const argv = asPostgres && runsAsRoot() ? ['runuser', '-u', 'postgres', '--', command, ...args] : [command, ...args];
  const [file, ...rest] = argv as [string, ...string[]];
  return new Promise((resolve) => {
    execFile(file, rest, { cwd, timeout: 60_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim();
      if (!error) return resolve({ code: 0, output });
      const code = typeof error.code === 'number' ? error.code : 1;
      resolve({ code, output: output || error.message });
    });
  });
}
