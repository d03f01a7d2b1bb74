import { execFile, spawn } from 'node:child_process';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { childPids, isProcessAlive, killQuietly, readCmdline } from './proc';
import { isPortFree, portInUseError, waitFor, waitForPort } from './process';

export const NGINX_BIN = process.env.NGINX_BIN ?? '/usr/sbin/nginx';

export interface NginxOptions {
  /** nginx -p: relative paths in the config (pid, logs, temp paths) resolve here. */
  prefixDir: string;
  /** Must keep pid, error_log and every *_temp_path inside the prefix; must not set `daemon`. */
  configText: string;
  /** The port the config listens on; startup waits for it and fails if it is taken beforehand. */
  port: number;
  /** File name inside prefixDir; default nginx.conf. */
  configFile?: string;
  startTimeoutMs?: number;
}

export interface NginxServer {
  pid: number;
  configPath: string;
  /** Graceful (SIGQUIT), then SIGKILL to master and workers after `timeoutMs` (default 5000). */
  stop(timeoutMs?: number): Promise<void>;
  /** Optionally swaps in new config text (validated first), then SIGHUP; resolves once new workers run. */
  reload(configText?: string): Promise<void>;
}

export interface NginxTestResult {
  ok: boolean;
  output: string;
}

const PATH_DIRECTIVES = /(?:^|[\s;{])(?:pid|error_log|access_log|\w+_temp_path)\s+([^\s;]+)/g;

/** nginx creates files and the last folder of temp paths, but not missing parent folders. */
async function createParentFolders(prefix: string, configText: string): Promise<void> {
  for (const [, target] of configText.matchAll(PATH_DIRECTIVES)) {
    if (!target || target === 'off' || target === 'stderr' || target.includes(':') || target.includes('$')) continue;
    await mkdir(dirname(resolve(prefix, target)), { recursive: true });
  }
}

/** `nginx -t` on a config file (relative to prefixDir unless absolute). */
export async function nginxTest(prefixDir: string, configFile: string): Promise<NginxTestResult> {
  const prefix = resolve(prefixDir);
  const configPath = resolve(prefix, configFile);
  const configText = await readFile(configPath, 'utf8').catch(() => '');
  await createParentFolders(prefix, configText);
  const args = ['-t', '-p', `${prefix}/`, '-c', configPath];
  return new Promise((done) => {
    execFile(NGINX_BIN, args, { encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
      done({ ok: !error, output: `${stdout}${stderr}`.trim() || (error?.message ?? '') });
    });
  });
}

export async function startNginx(options: NginxOptions): Promise<NginxServer> {
  const prefix = resolve(options.prefixDir);
  const configPath = join(prefix, options.configFile ?? 'nginx.conf');
  const { port } = options;
  await mkdir(prefix, { recursive: true });
  await writeFile(configPath, options.configText);
  await createParentFolders(prefix, options.configText);
  // Otherwise we would "see" the other listener and report success.
  if (!(await isPortFree(port))) throw portInUseError(port, `nginx (${configPath})`);

  const args = ['-p', `${prefix}/`, '-c', configPath];
  // A second `daemon` directive (from -g) is a fatal "duplicate directive" error.
  if (!/^\s*daemon\s/m.test(options.configText)) args.push('-g', 'daemon off;');
  const child = spawn(NGINX_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });

  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let exitReason: string | undefined;
  const exited = new Promise<void>((settle) => {
    child.once('exit', (code, signal) => {
      exitReason = signal ? `signal ${signal}` : `code ${code}`;
      settle();
    });
    child.once('error', (error) => {
      exitReason = error.message;
      settle();
    });
  });
  const workers = (): number[] => (child.pid === undefined ? [] : childPids(child.pid));
  // If the test process exits without calling stop(), do not leave nginx behind.
  const killOnExit = (): void => {
    for (const pid of [...workers(), child.pid ?? 0]) if (pid > 0) killQuietly(pid, 'SIGKILL');
  };
  process.once('exit', killOnExit);

  const forceStop = async (): Promise<void> => {
    const orphans = workers();
    if (exitReason === undefined) child.kill('SIGKILL');
    await exited;
    for (const pid of orphans) killQuietly(pid, 'SIGKILL');
    process.removeListener('exit', killOnExit);
  };

  try {
    await waitForPort(port, {
      timeoutMs: options.startTimeoutMs ?? 10_000,
      abortIf: () => (exitReason === undefined ? undefined : new Error(`nginx exited (${exitReason}) before listening on ${port}:\n${output}`)),
    });
  } catch (error) {
    await forceStop();
    throw error;
  }
  const pid = child.pid as number;

  let stopping: Promise<void> | undefined;
  const stop = (timeoutMs = 5000): Promise<void> =>
    (stopping ??= (async () => {
      if (exitReason === undefined) child.kill('SIGQUIT');
      const graceful = await Promise.race([exited.then(() => true), delay(timeoutMs, false, { ref: false })]);
      if (!graceful) await forceStop();
      process.removeListener('exit', killOnExit);
    })());

  const reload = async (configText?: string): Promise<void> => {
    if (exitReason !== undefined) throw new Error(`nginx is not running (${exitReason})`);
    const candidate = configText === undefined ? configPath : `${configPath}.next`;
    if (configText !== undefined) {
      await writeFile(candidate, configText);
      await createParentFolders(prefix, configText);
    }
    const check = await nginxTest(prefix, candidate);
    if (!check.ok) {
      if (candidate !== configPath) await rm(candidate, { force: true });
      throw new Error(`nginx config rejected, the old one stays active:\n${check.output}`);
    }
    if (candidate !== configPath) await rename(candidate, configPath);
    const old = workers();
    child.kill('SIGHUP');
    // Done when new workers run and no old worker still accepts: an old worker renames itself
    // "... is shutting down" right before closing its listening sockets, without accepting in between.
    const applied = (): boolean =>
      workers().some((worker) => !old.includes(worker)) &&
      old.every((worker) => !isProcessAlive(worker) || (readCmdline(worker) ?? []).join(' ').includes('shutting down'));
    await waitFor(applied, { timeoutMs: 5000, what: `nginx ${pid} to apply the reloaded config` });
  };

  return { pid, configPath, stop, reload };
}
