import { readdirSync, readFileSync } from 'node:fs';

/*
 * Linux /proc helpers. We look at /proc instead of trusting `kill(pid, 0)` because
 * zombies (orphans are not always reaped in containers) and reused PIDs would
 * otherwise look like live servers.
 */

interface ProcStat {
  state: string;
  ppid: number;
}

/**
 * The fields of /proc/<pid>/stat after the command name, from `state` (field 3) on: index 0 is the state,
 * 1 the parent pid, 11 and 12 utime and stime. Undefined once the process is gone.
 */
export function procStatFields(pid: number): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may itself contain spaces or ')'.
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

function readStat(pid: number): ProcStat | undefined {
  const rest = procStatFields(pid);
  return rest && { state: rest[0] ?? '', ppid: Number(rest[1]) };
}

/** True when the process exists and is not a zombie. */
export function isProcessAlive(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** argv of a live process, or undefined when it is gone or unreadable. */
export function readCmdline(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((part) => part.length > 0);
  } catch {
    return undefined;
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** Live direct children of `pid`. */
export function childPids(pid: number): number[] {
  return allPids().filter((candidate) => {
    const stat = readStat(candidate);
    return stat !== undefined && stat.ppid === pid && stat.state !== 'Z';
  });
}

/** Live processes whose argv satisfies `match` (argv of renamed processes is one string). */
export function pidsMatching(match: (argv: string[]) => boolean): number[] {
  return allPids().filter((pid) => {
    const argv = readCmdline(pid);
    return argv !== undefined && match(argv) && isProcessAlive(pid);
  });
}

export function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}
