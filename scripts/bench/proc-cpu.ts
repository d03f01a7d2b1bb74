import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { procStatFields } from '@webchat/local-infra';

/** Clock ticks per second of /proc's utime/stime (USER_HZ; 100 on every Linux we run on). */
export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of one process (all its threads), in microseconds; undefined once it is gone. */
export function processCpuMicros(pid: number): number | undefined {
  const rest = procStatFields(pid);
  if (!rest) return undefined;
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return ((utime + stime) * 1_000_000) / CLOCK_TICKS;
}

/** The processes to charge, by role (e.g. nginx = master + workers); listed anew at every snapshot. */
export type RoleProcesses = () => Record<string, number[]>;

export type CpuSnapshot = Map<string, Map<number, number>>;

export function snapshotCpu(roles: RoleProcesses): CpuSnapshot {
  const snapshot: CpuSnapshot = new Map();
  for (const [role, pids] of Object.entries(roles())) {
    const byPid = new Map<number, number>();
    for (const pid of pids) {
      const micros = processCpuMicros(pid);
      if (micros !== undefined) byPid.set(pid, micros);
    }
    snapshot.set(role, byPid);
  }
  return snapshot;
}

/**
 * CPU spent per role between two snapshots. A process that appeared in between (a new Postgres
 * backend) counts from zero; one that vanished is lost, which only under-counts short-lived helpers.
 */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): Record<string, number> {
  const spent: Record<string, number> = {};
  for (const [role, pids] of after) {
    let total = 0;
    for (const [pid, micros] of pids) total += micros - (before.get(role)?.get(pid) ?? 0);
    spent[role] = total;
  }
  return spent;
}

/** Whole-machine busy time from /proc/stat: how saturated the box was during a run. */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

export function loadAverage(): [number, number, number] {
  const [one = 0, five = 0, fifteen = 0] = readFileSync('/proc/loadavg', 'utf8').trim().split(/\s+/).map(Number);
  return [one, five, fifteen];
}

/**
 * Waits until the given processes are (nearly) idle: requests queued behind a finished load run
 * (nginx and the services keep working off what was in flight) must not be charged to the next run.
 */
export async function waitUntilIdle(roles: RoleProcesses[], { windowMs = 250, maxCpuPercent = 5, timeoutMs = 15_000 } = {}): Promise<boolean> {
  const all: RoleProcesses = () => Object.fromEntries(roles.flatMap((list, index) => Object.entries(list()).map(([role, pids]) => [`${index}:${role}`, pids])));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const before = snapshotCpu(all);
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const spent = Object.values(cpuBetween(before, snapshotCpu(all))).reduce((sum, micros) => sum + micros, 0);
    if (spent <= (windowMs * 1000 * maxCpuPercent) / 100) return true;
  }
  return false;
}
