/**
 * Summarises V8 CPU profiles (`node --cpu-prof`, what `BENCH_CPU_PROF=1 pnpm bench` gives the three
 * services): the functions with the most self time, and self time by package, per process.
 * Also a CLI: `tsx scripts/bench/profile.ts <dir with .cpuprofile files> [top N] [last N seconds]`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  pid: number;
  totalMs: number;
  idleMs: number;
  topFunctions: Array<{ name: string; where: string; selfMs: number; percentOfBusy: number }>;
  byPackage: Array<{ name: string; selfMs: number; percentOfBusy: number }>;
}

const REPO = join(__dirname, '..', '..');

/** node_modules/.pnpm/<store entry>/node_modules/<pkg>/... → <pkg>; our own code by its folder; node: internals. */
function packageOf(url: string): string {
  if (!url) return '(native / V8)';
  if (url.startsWith('node:')) return 'node: core';
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [scope = '', name = ''] = path.slice(modules + '/node_modules/'.length).split('/');
    return scope.startsWith('@') ? `${scope}/${name}` : scope;
  }
  const inRepo = relative(REPO, path);
  if (!inRepo.startsWith('..')) return inRepo.split('/').slice(0, 2).join('/');
  return path;
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** Monotonic-clock microseconds (CLOCK_MONOTONIC, as V8's profile timestamps and process.hrtime). */
export type Window = [from: number, to: number];

export const monotonicMicros = (): number => Number(process.hrtime.bigint() / 1000n);

/**
 * Self time per function. With `windows`, only samples taken inside them count (the measured runs,
 * not start-up or warm-up); with `lastSeconds`, only the final seconds of the profile.
 */
export function summariseProfile(file: string, top = 25, select: { windows?: Window[]; lastSeconds?: number } = {}): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  const windows = select.windows ?? (select.lastSeconds ? [[profile.endTime - select.lastSeconds * 1_000_000, profile.endTime] as Window] : undefined);
  const inside = (at: number) => !windows || windows.some(([from, to]) => at >= from && at <= to);
  let at = profile.startTime;
  let span = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (!inside(at)) return;
    span += delta;
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + delta);
  });
  let idle = 0;
  const functions = new Map<string, { name: string; where: string; micros: number }>();
  const packages = new Map<string, number>();
  for (const [id, micros] of selfMicros) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    if (frame.functionName === '(idle)') {
      idle += micros;
      continue;
    }
    const special = SPECIAL.has(frame.functionName);
    const where = special ? '' : `${packageOf(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    const name = frame.functionName || '(anonymous)';
    const key = `${name}@${frame.url}:${frame.lineNumber}`;
    const entry = functions.get(key) ?? { name, where, micros: 0 };
    entry.micros += micros;
    functions.set(key, entry);
    const pkg = special ? frame.functionName : packageOf(frame.url);
    packages.set(pkg, (packages.get(pkg) ?? 0) + micros);
  }
  const total = windows ? span : profile.endTime - profile.startTime;
  const busy = Math.max(1, total - idle);
  const pid = Number(/\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(file)?.[1] ?? 0);
  return {
    file,
    pid,
    totalMs: total / 1000,
    idleMs: idle / 1000,
    topFunctions: [...functions.values()]
      .sort((a, b) => b.micros - a.micros)
      .slice(0, top)
      .map((entry) => ({ name: entry.name, where: entry.where, selfMs: entry.micros / 1000, percentOfBusy: (100 * entry.micros) / busy })),
    byPackage: [...packages.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([name, micros]) => ({ name, selfMs: micros / 1000, percentOfBusy: (100 * micros) / busy })),
  };
}

export function renderProfiles(summaries: Array<ProfileSummary & { process?: string }>): string {
  const out: string[] = [];
  for (const summary of summaries) {
    const busy = summary.totalMs - summary.idleMs;
    // A process idle through the window (the echo chain while the token path is measured) says nothing.
    if (busy < 0.02 * summary.totalMs) continue;
    out.push(`### ${summary.process ?? `pid ${summary.pid}`}: ${(busy / 1000).toFixed(1)} s busy of ${(summary.totalMs / 1000).toFixed(1)} s`, '');
    out.push('| self % of busy | self ms | function | where |', '| ---: | ---: | --- | --- |');
    for (const entry of summary.topFunctions) out.push(`| ${entry.percentOfBusy.toFixed(1)} | ${entry.selfMs.toFixed(0)} | ${entry.name} | ${entry.where} |`);
    out.push('', '| self % of busy | package |', '| ---: | --- |');
    for (const entry of summary.byPackage) out.push(`| ${entry.percentOfBusy.toFixed(1)} | ${entry.name} |`);
    out.push('');
  }
  return out.join('\n');
}

export function summariseDirectory(dir: string, names: Map<number, string> = new Map(), top = 25, select: { windows?: Window[]; lastSeconds?: number } = {}): string {
  // Thread 0 is the main thread; the others are tsx's module-loader thread, idle once started.
  const files = readdirSync(dir).filter((name) => /\.0\.\d+\.cpuprofile$/.test(name));
  const summaries = files.map((name) => {
    const summary = summariseProfile(join(dir, name), top, select);
    const process = names.get(summary.pid);
    return process ? { ...summary, process } : summary;
  });
  return renderProfiles(summaries);
}

if (require.main === module) {
  const [dir, top, lastSeconds] = process.argv.slice(2);
  if (!dir) {
    process.stderr.write('usage: tsx scripts/bench/profile.ts <dir with .cpuprofile files> [top N] [only the last N seconds]\n');
    process.exit(2);
  }
  process.stdout.write(summariseDirectory(dir, new Map(), Number(top) || 25, lastSeconds ? { lastSeconds: Number(lastSeconds) } : {}));
}
