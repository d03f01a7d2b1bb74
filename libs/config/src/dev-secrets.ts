import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The repository root (where pnpm-workspace.yaml is), found from here so services run from any folder. */
export function findRepoRoot(start = __dirname): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** Development secrets live here, git-ignored; they are made on first use and never committed. */
export const defaultDevSecretsDir = () => path.join(findRepoRoot(), '.dev-secrets');

/**
 * Returns the development secret stored under `name`, creating it with `generate` the first time.
 * Written with 0600 and created atomically, so two services starting together agree on one value.
 */
export function ensureDevSecret(dir: string, name: string, generate: () => string): string {
  const file = path.join(dir, name);
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8');
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const value = generate();
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`; // unique even between threads of one process
  fs.writeFileSync(tmp, value, { mode: 0o600 });
  try {
    fs.linkSync(tmp, file); // fails if another process won the race; then its value is the one
  } catch {
    /* keep the winner's */
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return fs.readFileSync(file, 'utf8');
}

/** A value given inline, or `@/path/to/file` (Kubernetes Secrets mounted as files). */
export function readSecretValue(value: string): string {
  return value.startsWith('@') ? fs.readFileSync(value.slice(1), 'utf8').trim() : value;
}
