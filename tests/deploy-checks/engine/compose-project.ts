import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeEnv, type MakeEnvResult } from '@webchat/deploy-tools';
import { repoPath } from '../src/paths';

const run = promisify(execFile);

/** Debian's client, matching the private daemon engine.sh starts (DOCKER_HOST comes from run.sh). */
export const DOCKER = '/usr/bin/docker';
export const DOCKER_COMPOSE = '/usr/bin/docker-compose';

export interface ContainerState {
  id: string;
  name: string;
  service: string;
  running: boolean;
  exitCode: number;
  health: string | undefined;
  pid: number;
  user: string;
  readOnlyRootfs: boolean;
}

export interface Ports {
  starship: number;
  demo: number;
  demoAlt: number;
}

/**
 * One Compose project of the repository's own docker-compose.yml, run by docker-compose against the
 * test's private engine: its own project name, .env, generated files and host ports, so it never meets a
 * developer's `webchat` project.
 */
export class ComposeProject {
  readonly dir: string;
  readonly made: MakeEnvResult;

  constructor(
    readonly name: string,
    readonly ports: Ports,
  ) {
    mkdirSync(repoPath('.cache/engine'), { recursive: true });
    this.dir = mkdtempSync(repoPath('.cache/engine/project-'));
    this.made = makeEnv({
      out: join(this.dir, '.env'),
      demoDir: join(this.dir, 'demo'),
      keysDir: join(this.dir, 'keys'),
      baseUrl: `http://localhost:${ports.starship}`,
    });
  }

  private env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      WEBCHAT_COMPOSE_FILES: this.dir,
      STARSHIP_PORT: String(this.ports.starship),
      DEMO_PORT: String(this.ports.demo),
      DEMO_ALT_PORT: String(this.ports.demoAlt),
    };
  }

  /** docker-compose with this project's name, .env and files; rejects with its stderr on failure. */
  async compose(args: string[], timeoutMs = 300_000): Promise<string> {
    const fullArgs = ['--no-ansi', '-p', this.name, '--env-file', join(this.dir, '.env'), '-f', repoPath('docker-compose.yml'), ...args];
    try {
      const { stdout } = await run(DOCKER_COMPOSE, fullArgs, { cwd: repoPath(), env: this.env(), timeout: timeoutMs, maxBuffer: 64 << 20 });
      return stdout;
    } catch (error) {
      const { stderr, stdout } = error as { stderr?: string; stdout?: string };
      throw new Error(`docker-compose ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? String(error)}`);
    }
  }

  async docker(args: string[]): Promise<string> {
    const { stdout } = await run(DOCKER, args, { env: process.env, maxBuffer: 64 << 20 });
    return stdout;
  }

  /** Every container of the project, running or not. */
  async containers(): Promise<ContainerState[]> {
    const ids = (await this.docker(['ps', '-aq', '--filter', `label=com.docker.compose.project=${this.name}`])).split('\n').filter(Boolean);
    if (ids.length === 0) return [];
    const inspected = JSON.parse(await this.docker(['inspect', ...ids])) as Array<{
      Id: string;
      Name: string;
      Config: { Labels: Record<string, string>; User: string };
      State: { Running: boolean; ExitCode: number; Pid: number; Health?: { Status: string } };
      HostConfig: { ReadonlyRootfs: boolean };
    }>;
    return inspected.map((c) => ({
      id: c.Id,
      name: c.Name.replace(/^\//, ''),
      service: c.Config.Labels['com.docker.compose.service'] ?? '',
      running: c.State.Running,
      exitCode: c.State.ExitCode,
      health: c.State.Health?.Status,
      pid: c.State.Pid,
      user: c.Config.User,
      readOnlyRootfs: c.HostConfig.ReadonlyRootfs,
    }));
  }

  /** Waits until every container with a healthcheck is healthy and every one-shot has exited 0. */
  async waitUntilReady(oneShots: string[], timeoutMs: number): Promise<ContainerState[]> {
    const deadline = Date.now() + timeoutMs;
    let last: ContainerState[] = [];
    while (Date.now() < deadline) {
      last = await this.containers();
      const failed = last.find((c) => oneShots.includes(c.service) ? !c.running && c.exitCode !== 0 : !c.running);
      if (failed) throw new Error(`${failed.name} stopped (exit ${failed.exitCode}):\n${await this.logs(failed.name)}`);
      const waiting = last.filter((c) => (oneShots.includes(c.service) ? c.running : c.health !== undefined && c.health !== 'healthy'));
      if (last.length > 0 && waiting.length === 0) return last;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    throw new Error(`not ready after ${timeoutMs} ms: ${last.map((c) => `${c.name}=${c.running ? c.health ?? 'running' : `exited ${c.exitCode}`}`).join(', ')}`);
  }

  async logs(container: string): Promise<string> {
    try {
      const { stdout, stderr } = await run(DOCKER, ['logs', '--tail', '40', container], { env: process.env });
      return stdout + stderr;
    } catch (error) {
      return String(error);
    }
  }

  /** What the engine still holds of this project (by the label compose puts on everything it creates). */
  async leftovers(): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
    const label = `label=com.docker.compose.project=${this.name}`;
    const list = async (args: string[]) => (await this.docker(args)).split('\n').filter(Boolean);
    return {
      containers: await list(['ps', '-aq', '--filter', label]),
      networks: await list(['network', 'ls', '-q', '--filter', label]),
      volumes: await list(['volume', 'ls', '-q', '--filter', label]),
    };
  }

  removeFiles(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
