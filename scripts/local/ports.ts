import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { isPortFree, readCmdline } from '@webchat/local-infra';

export interface PortClaim {
  port: number;
  /** What the runner wants it for, e.g. "Starship, the public edge". */
  what: string;
  /** The environment variable that moves it. */
  env: string;
}

const LISTEN = '0A';

/** Socket inodes listening on `port` (IPv4 and IPv6, any address), from /proc/net. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      if (!local || fields[3] !== LISTEN) continue;
      if (Number.parseInt(local.split(':').pop() ?? '', 16) === port && fields[9]) inodes.add(fields[9]);
    }
  }
  return inodes;
}

/** The process holding a listening socket on `port`, when /proc lets us see it (same user or root). */
export function portOwner(port: number): { pid: number; command: string } | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) {
        const pid = Number(entry);
        return { pid, command: (readCmdline(pid) ?? []).join(' ').slice(0, 160) || '?' };
      }
    }
  }
  return undefined;
}

/** Throws one message naming every port that is taken, what it was meant for, and who holds it. */
export async function assertPortsFree(claims: PortClaim[]): Promise<void> {
  const seen = new Map<number, PortClaim>();
  const problems: string[] = [];
  for (const claim of claims) {
    const other = seen.get(claim.port);
    if (other) problems.push(`port ${claim.port} is configured twice: for ${other.what} (${other.env}) and for ${claim.what} (${claim.env})`);
    seen.set(claim.port, claim);
  }
  for (const claim of claims) {
    if (await isPortFree(claim.port)) continue;
    const owner = portOwner(claim.port);
    const who = owner ? ` by pid ${owner.pid} (${owner.command})` : '';
    problems.push(`port ${claim.port}, needed for ${claim.what}, is already in use${who}; stop that process or set ${claim.env} to another port`);
  }
  if (problems.length > 0) {
    throw new Error(problems.length === 1 ? (problems[0] ?? '') : `\n  - ${problems.join('\n  - ')}`);
  }
}
