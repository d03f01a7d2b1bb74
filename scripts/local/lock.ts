import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isProcessAlive, readCmdline } from '@webchat/local-infra';

/**
 * One runner per data folder: a second one would reuse the same nginx prefix and cluster. Ports
 * catch most of this, but not a second runner started with other ports. A lock left by a runner
 * that died is taken over.
 */
export function acquireRunnerLock(file: string): () => void {
  mkdirSync(dirname(file), { recursive: true });
  let owner = 0;
  try {
    owner = Number.parseInt(readFileSync(file, 'utf8').trim(), 10) || 0;
  } catch {
    // No lock yet.
  }
  if (owner > 0 && owner !== process.pid && isProcessAlive(owner)) {
    const command = (readCmdline(owner) ?? []).join(' ');
    if (/start\.ts|bootstrap\.cjs/.test(command)) {
      throw new Error(`another local runner (pid ${owner}) is already using ${dirname(dirname(file))}; stop it first (Ctrl-C in its terminal, or kill ${owner})`);
    }
  }
  writeFileSync(file, String(process.pid));
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
    } catch {
      // Already gone.
    }
  };
}
