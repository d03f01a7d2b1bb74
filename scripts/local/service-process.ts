import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { waitForHttp } from '@webchat/local-infra';
import type { LogSink } from './logs';

export interface ServiceSpec {
  name: string;
  /** services/<name>, where its src/start.ts is. */
  dir: string;
  port: number;
  env: NodeJS.ProcessEnv;
  /** Script to run, relative to `dir` (default `src/start.ts`); the benchmark's echo service lives elsewhere. */
  entry?: string;
  /** Extra node flags before the script, e.g. `--cpu-prof` when profiling. */
  nodeArgs?: string[];
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * One service as its own process, in its own process group: a terminal's Ctrl-C reaches only the
 * runner, which then stops the services in order, and a stop signal reaches the whole group.
 * Runs `node --import tsx src/start.ts` (what `tsx src/start.ts` does, minus tsx's relay process, which
 * would deliver a group-wide SIGTERM twice and turn the drain into an immediate exit).
 */
export class ServiceProcess {
  readonly url: string;
  private readonly child: ChildProcess;
  private exitInfo: ExitInfo | undefined;
  readonly exited: Promise<ExitInfo>;

  constructor(
    readonly spec: ServiceSpec,
    sink: LogSink,
    tsxLoader: string,
  ) {
    this.url = `http://127.0.0.1:${spec.port}`;
    const entry = spec.entry ?? join('src', 'start.ts');
    this.child = spawn(process.execPath, [...(spec.nodeArgs ?? []), '--import', pathToFileURL(tsxLoader).href, entry], {
      cwd: spec.dir,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (this.child.stdout) sink.attach(this.child.stdout);
    if (this.child.stderr) sink.attach(this.child.stderr);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
      this.child.once('error', (error) => {
        sink.line(`could not start: ${error.message}`);
        this.exitInfo = { code: 1, signal: null };
        resolve(this.exitInfo);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  describeExit(): string {
    const info = this.exitInfo;
    if (!info) return 'running';
    return info.signal ? `killed by ${info.signal}` : `exited with code ${info.code}`;
  }

  /** Polls /readyz; fails fast when the process dies or `abort` says so. */
  async waitReady(timeoutMs: number, abort: () => Error | undefined): Promise<void> {
    await waitForHttp(`${this.url}/readyz`, {
      timeoutMs,
      intervalMs: 100,
      abortIf: () => abort() ?? (this.running ? undefined : new Error(`${this.spec.name} ${this.describeExit()} before it was ready (see its log above)`)),
    });
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone.
    }
  }

  /** SIGTERM to the group (the service drains), SIGKILL after `graceMs`. Resolves once it has exited. */
  async stop(graceMs: number): Promise<{ forced: boolean }> {
    if (!this.running) {
      this.signalGroup('SIGKILL'); // anything it left in its group
      return { forced: false };
    }
    this.signalGroup('SIGTERM');
    const inTime = await Promise.race([this.exited.then(() => true), delay(graceMs).then(() => false)]);
    if (!inTime) this.kill();
    await this.exited;
    return { forced: !inTime };
  }

  kill(): void {
    this.signalGroup('SIGKILL');
  }
}
