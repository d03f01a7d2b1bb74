import fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { heapReportFile, sampleProcess } from './processes';

export interface Watched {
  name: string;
  pid: number;
  /** The process's log; its forced collections' heap reports sit beside it. */
  logFile?: string;
  /** Runs a full collection in the process (node services loaded with gc-on-signal.cjs). */
  collect?: () => void;
}

interface Sample {
  /** Milliseconds since the sampler started. */
  at: number;
  rssKb: number;
  fds: number;
}

/** A process with no load on it, after V8's memory reducer has collected. */
export interface RestingState {
  rssMb: number;
  fds: number;
  /** Live heap after the forced full collection (reported by gc-on-signal.cjs), when known. */
  heapMb?: number;
}

const mb = (kb: number) => Math.round(kb / 102.4) / 10;

/**
 * Samples VmRSS and open descriptors of each process from /proc at a fixed interval. Under load
 * Node's RSS is a saw-tooth (the heap grows until a full collection, tens of MB apart, and a short run
 * may see none), so memory is compared at rest, after a forced full collection: the resting RSS
 * before and after a soak are comparable where two readings under load are not.
 */
export class ProcessSampler {
  private readonly samples = new Map<string, Sample[]>();
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly watched: Watched[],
    everyMs: number,
  ) {
    for (const w of watched) this.samples.set(w.name, []);
    this.timer = setInterval(() => this.sample(), everyMs);
    this.sample();
  }

  now(): number {
    return Date.now() - this.started;
  }

  private sample(): void {
    for (const w of this.watched) {
      const sample = sampleProcess(w.pid);
      if (sample) this.samples.get(w.name)!.push({ ...sample, at: this.now() });
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Waits `ms` with no load (long enough for every pooled keep-alive socket to idle out), runs a full
   * collection in each process three quarters in, and reports the lowest RSS after it and the descriptors at the end.
   */
  async rest(ms: number): Promise<Record<string, RestingState>> {
    await delay(ms * 0.75);
    const collectedAt = Date.now();
    for (const w of this.watched) w.collect?.();
    await delay(200);
    const from = this.now();
    await delay(ms * 0.25);
    this.sample();
    const out: Record<string, RestingState> = {};
    for (const w of this.watched) {
      const window = this.samples.get(w.name)!.filter((s) => s.at >= from);
      if (window.length === 0) throw new Error(`no samples of ${w.name} while resting`);
      const heapMb = w.logFile ? lastLiveHeapMb(w.logFile, collectedAt) : undefined;
      out[w.name] = { rssMb: mb(Math.min(...window.map((s) => s.rssKb))), fds: window.at(-1)!.fds, ...(heapMb !== undefined ? { heapMb } : {}) };
    }
    return out;
  }

  /** Highest RSS and descriptors of each process between two times (under load). */
  peaks(from: number, to: number): Record<string, { rssMb: number; fds: number }> {
    const out: Record<string, { rssMb: number; fds: number }> = {};
    for (const [name, all] of this.samples) {
      const window = all.filter((s) => s.at >= from && s.at <= to);
      out[name] = { rssMb: mb(Math.max(0, ...window.map((s) => s.rssKb))), fds: Math.max(0, ...window.map((s) => s.fds)) };
    }
    return out;
  }

  /** About 40 points per process ([seconds, MB, descriptors]), for the record. */
  series(): Record<string, number[][]> {
    const out: Record<string, number[][]> = {};
    for (const [name, all] of this.samples) {
      const step = Math.max(1, Math.floor(all.length / 40));
      out[name] = all.filter((_, i) => i % step === 0).map((s) => [Math.round(s.at / 1000), Math.round(s.rssKb / 1024), s.fds]);
    }
    return out;
  }
}

/** The live heap the process reported after its last forced collection (gc-on-signal.cjs), if any since `since`. */
function lastLiveHeapMb(logFile: string, since = 0): number | undefined {
  try {
    const { at, heapUsedBytes } = JSON.parse(fs.readFileSync(heapReportFile(logFile), 'utf8')) as { at: number; heapUsedBytes: number };
    return at >= since ? Math.round(heapUsedBytes / 1024 / 102.4) / 10 : undefined;
  } catch {
    return undefined;
  }
}
