/**
 * The method of docs/performance.md for a change too small for a loaded machine's `pnpm bench`: both
 * sides in one process, alternated over rounds, CPU (process.cpuUsage, user + system) per operation,
 * medians. Neighbours on the machine slow both sides alike; what is compared is the CPU the process spent.
 */
export interface Side {
  name: string;
  /** Runs `count` operations; resolves when all are done. */
  run(count: number): Promise<void>;
}

export interface SideResult {
  name: string;
  /** Median over rounds of CPU µs per operation. */
  cpuMicros: number;
  /** Every round's figure, in order. */
  rounds: number[];
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

export async function compareSides(sides: Side[], { count, rounds, warmup }: { count: number; rounds: number; warmup: number }): Promise<SideResult[]> {
  for (const side of sides) await side.run(warmup);
  const figures = sides.map(() => [] as number[]);
  for (let round = 0; round < rounds; round += 1) {
    // Rotated, so no side always runs right after the same other one (GC debt, caches).
    for (let i = 0; i < sides.length; i += 1) {
      const index = (i + round) % sides.length;
      const before = process.cpuUsage();
      await sides[index]!.run(count);
      const spent = process.cpuUsage(before);
      figures[index]!.push((spent.user + spent.system) / count);
    }
  }
  return sides.map((side, index) => ({ name: side.name, cpuMicros: median(figures[index]!), rounds: figures[index]! }));
}

export function renderSides(results: SideResult[], unit = 'op'): string {
  const lines = [`| side | CPU µs per ${unit} (median) | rounds |`, '| --- | ---: | --- |'];
  for (const result of results) lines.push(`| ${result.name} | ${result.cpuMicros.toFixed(2)} | ${result.rounds.map((value) => value.toFixed(1)).join(', ')} |`);
  return lines.join('\n');
}

/** `count` calls of `call`, at most `inFlight` at a time. */
export async function concurrently(count: number, inFlight: number, call: () => Promise<unknown>): Promise<void> {
  let started = 0;
  const worker = async () => {
    while (started < count) {
      started += 1;
      await call();
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
}
