import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { isProcessAlive, killQuietly, pidsMatching, readCmdline } from './proc';
import { isPortFree, portInUseError } from './process';
import { postgresBinDir, postgresUser, runPostgresTool, runsAsRoot } from './postgres-exec';

export { isPortFree } from './process';
export { postgresBinDir } from './postgres-exec';
export { createDatabase, dropDatabase } from './databases';

export interface PrivatePostgresOptions {
  /** Cluster directory. Its parent also receives postgres.log and the socket folder. */
  dataDir: string;
  port: number;
  log?: (line: string) => void;
}

export interface PrivatePostgres {
  /** Superuser URL for the `postgres` database (trust auth, no password). */
  url: string;
  port: number;
  dataDir: string;
  /** PID of the postmaster started by this call. */
  pid: number;
  stop(): Promise<void>;
}

// sockaddr_un.sun_path is 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH = 107;

interface ClusterPaths {
  dataDir: string;
  home: string;
  logFile: string;
  socketDir: string;
  /** cluster_name puts this tag into every backend's process title, so orphans can be found. */
  tag: string;
}

function clusterPaths(dataDirOption: string, port: number): ClusterPaths {
  const dataDir = resolve(dataDirOption);
  const home = dirname(dataDir);
  const hash = createHash('sha1').update(dataDir).digest('hex').slice(0, 10);
  let socketDir = join(home, 'pg-socket');
  if (`${socketDir}/.s.PGSQL.${port}`.length > MAX_SOCKET_PATH) socketDir = join(tmpdir(), `pg-socket-${hash}`);
  for (const path of [dataDir, socketDir]) {
    // pg_ctl hands -o to a shell; we quote with '...', so a quote in the path would break out.
    if (path.includes("'")) throw new Error(`PostgreSQL paths must not contain a single quote: ${path}`);
  }
  return { dataDir, home, logFile: join(home, 'postgres.log'), socketDir, tag: `testkit-${hash}` };
}

/** PIDs of the postmaster serving `dataDir` and of its backends (also orphans of a crashed postmaster). */
export function postgresProcesses(dataDir: string): number[] {
  const { dataDir: absolute, tag } = clusterPaths(dataDir, 0);
  return pidsMatching((argv) => argv.includes(absolute) || argv.join(' ').startsWith(`postgres: ${tag}:`));
}

// pg_ctl -l appends, and a reused test cluster is started on every run.
const MAX_LOG_BYTES = 10 * 1024 * 1024;

async function prepareDirectories(paths: ClusterPaths): Promise<void> {
  await mkdir(paths.home, { recursive: true });
  await mkdir(paths.socketDir, { recursive: true, mode: 0o700 });
  const logSize = await stat(paths.logFile).then((info) => info.size, () => 0);
  if (logSize > MAX_LOG_BYTES) await rename(paths.logFile, `${paths.logFile}.old`);
  if (!runsAsRoot()) return;
  const { uid, gid } = postgresUser();
  await chown(paths.home, uid, gid);
  await chown(paths.socketDir, uid, gid);
  if (existsSync(paths.logFile)) await chown(paths.logFile, uid, gid);
  if (existsSync(paths.dataDir) && (await stat(paths.dataDir)).uid !== uid) {
    await runPostgresTool('chown', ['-R', `${uid}:${gid}`, paths.dataDir], { asPostgres: false, cwd: paths.home });
  }
  const reach = await runPostgresTool('test', ['-w', paths.home, '-a', '-x', paths.home], { cwd: '/' });
  if (reach.code !== 0) {
    throw new Error(`user postgres cannot write ${paths.home}: every parent folder must be searchable by it (chmod o+x)`);
  }
}

/** First line of a PostgreSQL lock file (postmaster.pid, .s.PGSQL.<port>.lock). */
function readPidFile(file: string): Promise<number | undefined> {
  return readFile(file, 'utf8').then(
    (text) => Number.parseInt(text.split('\n')[0] ?? '', 10) || undefined,
    () => undefined,
  );
}

function readPostmasterPid(dataDir: string): Promise<number | undefined> {
  return readPidFile(join(dataDir, 'postmaster.pid'));
}

function isPostmasterFor(pid: number, dataDir: string): boolean {
  return isProcessAlive(pid) && (readCmdline(pid) ?? []).includes(dataDir);
}

async function pgCtlStop(paths: ClusterPaths): Promise<void> {
  const pid = await readPostmasterPid(paths.dataDir);
  if (pid === undefined || !isPostmasterFor(pid, paths.dataDir)) return;
  const result = await runPostgresTool(join(postgresBinDir(), 'pg_ctl'), ['stop', '-D', paths.dataDir, '-m', 'fast', '-w', '-t', '30'], {
    cwd: paths.home,
  });
  if (result.code !== 0 && isPostmasterFor(pid, paths.dataDir)) {
    throw new Error(`pg_ctl stop failed for ${paths.dataDir}: ${result.output}`);
  }
}

/**
 * A crashed run leaves either a live postmaster (we stop it: its options may differ from ours)
 * or a postmaster.pid whose PID may since belong to an unrelated process, which would make
 * PostgreSQL refuse to start. Orphaned backends still hold the old shared memory, so wait them out.
 */
async function clearPreviousRun(paths: ClusterPaths, port: number, log: (line: string) => void): Promise<void> {
  const pid = await readPostmasterPid(paths.dataDir);
  if (pid !== undefined && isPostmasterFor(pid, paths.dataDir)) {
    log(`stopping postmaster ${pid} left running on ${paths.dataDir} by an earlier run`);
    await pgCtlStop(paths);
    return;
  }
  if (pid !== undefined) {
    log(`removing stale postmaster.pid (pid ${pid}) from ${paths.dataDir}`);
    await rm(join(paths.dataDir, 'postmaster.pid'), { force: true });
  }
  // The socket has its own lock file with the same PID check (a not yet reaped zombie passes it).
  const socket = join(paths.socketDir, `.s.PGSQL.${port}`);
  const socketOwner = await readPidFile(`${socket}.lock`);
  if (socketOwner !== undefined && !isPostmasterFor(socketOwner, paths.dataDir)) {
    const owner = readCmdline(socketOwner);
    if (!isProcessAlive(socketOwner) || !owner?.[0]?.endsWith('postgres')) {
      log(`removing stale socket lock ${socket}.lock (pid ${socketOwner})`);
      await rm(`${socket}.lock`, { force: true });
      await rm(socket, { force: true });
    }
  }
  const deadline = Date.now() + 3000;
  let orphans = postgresProcesses(paths.dataDir);
  while (orphans.length > 0 && Date.now() < deadline) {
    await delay(50);
    orphans = postgresProcesses(paths.dataDir);
  }
  for (const orphan of orphans) killQuietly(orphan, 'SIGKILL');
}

async function logTail(logFile: string, lines = 15): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function serverOptions(paths: ClusterPaths, port: number): string {
  return [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    `-k '${paths.socketDir}'`,
    `-c cluster_name=${paths.tag}`,
    // Test data is disposable: trade durability for speed.
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c shared_preload_libraries=pg_stat_statements',
  ].join(' ');
}

/** Starts (creating on first use) a throwaway PostgreSQL cluster listening on 127.0.0.1:port. */
export async function startPrivatePostgres(options: PrivatePostgresOptions): Promise<PrivatePostgres> {
  const log = options.log ?? (() => undefined);
  const { port } = options;
  const paths = clusterPaths(options.dataDir, port);
  const bin = postgresBinDir();
  const begin = Date.now();

  await prepareDirectories(paths);
  await clearPreviousRun(paths, port, log);
  if (!(await isPortFree(port))) throw portInUseError(port, `PostgreSQL for ${paths.dataDir}`);

  if (!existsSync(join(paths.dataDir, 'PG_VERSION'))) {
    const initStart = Date.now();
    const init = await runPostgresTool(
      join(bin, 'initdb'),
      ['-D', paths.dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'],
      { cwd: paths.home },
    );
    if (init.code !== 0) throw new Error(`initdb failed for ${paths.dataDir}:\n${init.output}`);
    log(`initdb ${paths.dataDir}: ${Date.now() - initStart} ms`);
  }

  const startedAt = Date.now();
  const start = await runPostgresTool(
    join(bin, 'pg_ctl'),
    ['start', '-w', '-t', '30', '-D', paths.dataDir, '-l', paths.logFile, '-o', serverOptions(paths, port)],
    { cwd: paths.home },
  );
  if (start.code !== 0) {
    if (!(await isPortFree(port))) throw portInUseError(port, `PostgreSQL for ${paths.dataDir}`);
    throw new Error(
      `PostgreSQL for ${paths.dataDir} did not start on port ${port}:\n${start.output}\n` +
        `--- end of ${paths.logFile} ---\n${await logTail(paths.logFile)}`,
    );
  }
  log(`pg_ctl start on port ${port}: ${Date.now() - startedAt} ms (total ${Date.now() - begin} ms)`);

  const pid = await readPostmasterPid(paths.dataDir);
  if (pid === undefined) throw new Error(`PostgreSQL started but ${paths.dataDir}/postmaster.pid is unreadable`);
  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir: paths.dataDir,
    pid,
    stop: () => (stopping ??= pgCtlStop(paths)),
  };
}
