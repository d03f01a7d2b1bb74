import { readlinkSync } from 'node:fs';
import { join, sep } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { isPortFree, isProcessAlive, readCmdline } from '@webchat/local-infra';
import type { RunnerConfig } from './config';
import { portOwner, type PortClaim } from './ports';

/** The scripts ServiceProcess runs: a service's start.ts (the default), and the webhook dispatcher. */
const RUNNER_ENTRIES = [join('src', 'start.ts'), join('src', 'webhook-dispatcher.ts')];

export type Leftover = { kind: 'postgres' | 'process'; pid: number; port: number; what: string };

function cwdOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

/**
 * A port held by something an earlier run of this checkout left behind (the runner was killed with
 * SIGKILL, so it could not stop its children). Only called once the runner lock shows that no runner
 * is alive, so these are orphans, not another instance's processes.
 */
function classify(config: RunnerConfig, claim: PortClaim): Leftover | undefined {
  const owner = portOwner(claim.port);
  if (!owner) return undefined;
  const argv = readCmdline(owner.pid) ?? [];
  const command = argv.join(' ');
  if (command.includes(join(config.dataDir, 'local-pg', 'pgdata'))) return { kind: 'postgres', pid: owner.pid, port: claim.port, what: 'PostgreSQL' };
  if (command.startsWith('nginx: master process') && command.includes(`${join(config.dataDir, 'starship')}${sep}`)) {
    return { kind: 'process', pid: owner.pid, port: claim.port, what: 'Starship nginx' };
  }
  // Every Node process the runner starts (the services, the webhook dispatcher, the echo bot) runs one of
  // RUNNER_ENTRIES from its package folder in this checkout.
  const cwd = cwdOf(owner.pid);
  const ours = [join(config.repo, 'services') + sep, join(config.repo, 'examples') + sep];
  const entry = RUNNER_ENTRIES.find((candidate) => command.endsWith(` ${candidate}`));
  if (cwd && entry && ours.some((root) => cwd.startsWith(root))) {
    const where = cwd.slice(config.repo.length + 1);
    return { kind: 'process', pid: owner.pid, port: claim.port, what: entry === RUNNER_ENTRIES[0] ? where : `${where} (${entry})` };
  }
  return undefined;
}

function kill(pid: number, signal: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal); // the group first: a service is its own group leader
      return;
    } catch {
      // Not a group leader, or gone.
    }
  }
}

/**
 * Stops processes an earlier, killed run left on our ports; PostgreSQL is left to startPrivatePostgres,
 * which stops a postmaster still running on its own data folder. Returns what it stopped.
 */
export async function clearLeftovers(config: RunnerConfig, claims: PortClaim[], log: (line: string) => void): Promise<Leftover[]> {
  const found: Leftover[] = [];
  for (const claim of claims) {
    if (await isPortFree(claim.port)) continue;
    const leftover = classify(config, claim);
    // nginx holds several of our ports: one entry per process.
    if (leftover && !found.some((seen) => seen.pid === leftover.pid)) found.push(leftover);
  }
  const processes = found.filter((leftover) => leftover.kind === 'process');
  for (const leftover of processes) {
    log(`stopping ${leftover.what} (pid ${leftover.pid}) left on port ${leftover.port} by an earlier run`);
    kill(leftover.pid, leftover.what === 'Starship nginx' ? 'SIGQUIT' : 'SIGTERM');
  }
  const deadline = Date.now() + 15_000;
  while (processes.some((leftover) => isProcessAlive(leftover.pid)) && Date.now() < deadline) await delay(100);
  for (const leftover of processes) if (isProcessAlive(leftover.pid)) kill(leftover.pid, 'SIGKILL');
  return found;
}
