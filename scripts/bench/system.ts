/**
 * The system under test, started in production mode from the local runner's own pieces
 * (scripts/local): a private PostgreSQL, the three services as separate processes, Starship (nginx),
 * plus the echo chain behind a second Starship. Everything on free ports and under its own data
 * folder, so it never collides with `pnpm start`. `stop()` stops whatever was started, in order.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { childPids, dropDatabase, getFreePort, isProcessAlive, killQuietly, postgresProcesses, readCmdline, withClient, type PrivatePostgres } from '@webchat/local-infra';
import { DEFAULT_ASSETS_DIR } from '@webchat/starship/src/render';
import { loadStarshipLimits } from '@webchat/starship/src/config';
import { REPO_ROOT, type RunnerConfig } from '../local/config';
import { DATABASE_NAME, admin, prepareDemoData, startDatabase, type DemoAccount } from '../local/database';
import { LogSink, type Color } from '../local/logs';
import { ServiceProcess } from '../local/service-process';
import { demoOrigin, mintThroughStarship, startStarship, type RunningStarship } from '../local/starship';
import { writeFlagsFile } from './flags';
import { ensureDevKeys, productionEnv } from './production-env';
import type { RoleProcesses } from './proc-cpu';

export interface SystemOptions {
  dataDir: string;
  logLevel: string;
  /** node flags for every service process, real and echo (e.g. `--cpu-prof`, to compare hop by hop). */
  serviceNodeArgs: string[];
  log: (line: string) => void;
  /** Receives a synchronous last resort (SIGKILL to everything started so far) for a second Ctrl-C. */
  onKillSwitch?: (killNow: () => void) => void;
}

export interface BenchAccount {
  accountSid: string;
  deploymentKey: string;
}

export interface BenchSystem {
  edgeUrl: string;
  echoEdgeUrl: string;
  orchestratorUrl: string;
  /** The allowed origin of both benchmark accounts. */
  origin: string;
  databaseUrl: string;
  /** `webchat-security` evaluates on (sensitivity high): the demo account. */
  flagOn: BenchAccount;
  /** `webchat-security` targeted off for this account only, in the benchmark's own flags file. */
  flagOff: BenchAccount;
  /** Processes to charge CPU to, by hop, for the real path and for the echo chain. */
  tokenRoles: RoleProcesses;
  echoRoles: RoleProcesses;
  /** The reference chains (the floor): same shape and Starship configuration, no plumbing of ours. */
  references: Record<ReferenceKind, { edgeUrl: string; roles: RoleProcesses }>;
  /** Every process started, by name (for the profile summary and the leftover check of the next run). */
  processes(): Array<{ name: string; pid: number }>;
  /** Rejects once a service dies on its own. */
  died: Promise<never>;
  stop(): Promise<void>;
}

const SERVICES = [
  { name: 'scoped-auth', color: 'magenta' },
  { name: 'federated-auth', color: 'blue' },
  { name: 'orchestrator', color: 'cyan' },
] as const satisfies ReadonlyArray<{ name: string; color: Color }>;

const ECHO_HOPS = ['orchestrator', 'federated-auth', 'scoped-auth'] as const;

export const REFERENCE_KINDS = ['raw', 'express'] as const;
export type ReferenceKind = (typeof REFERENCE_KINDS)[number];

/**
 * The benchmark measures the system, not its limiters: the per-address limit (one client IP sends everything)
 * and the per-token one (the WebChannels scenario's 50 tokens at 5 r/s each would cap it at 250 r/s) are set
 * far above anything it can send.
 */
const UNTHROTTLED = {
  STARSHIP_TOKEN_RATE: '1000000r/s',
  STARSHIP_TOKEN_BURST: '1000000',
  STARSHIP_TOKEN_USE_RATE: '1000000r/s',
  STARSHIP_TOKEN_USE_BURST: '1000000',
  STARSHIP_ASSETS_DIR: DEFAULT_ASSETS_DIR,
};

async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await getFreePort());
  return [...ports];
}

const nginxPids = (starship: RunningStarship | undefined): number[] => (starship ? [starship.nginx.pid, ...childPids(starship.nginx.pid)] : []);

export async function startSystem(options: SystemOptions): Promise<BenchSystem> {
  const { dataDir, log } = options;
  const stops: Array<() => Promise<unknown>> = [];
  const services: ServiceProcess[] = [];
  const sinks: LogSink[] = [];
  let postgres: PrivatePostgres | undefined;
  let edge: RunningStarship | undefined;
  let echoEdge: RunningStarship | undefined;
  const referenceEdges: Partial<Record<ReferenceKind, RunningStarship>> = {};
  let stopping: Promise<void> | undefined;
  let rejectDied: (error: Error) => void = () => undefined;
  const died = new Promise<never>((_resolve, reject) => {
    rejectDied = reject;
  });
  died.catch(() => undefined);
  options.onKillSwitch?.(() => {
    for (const service of services) service.kill();
    for (const pid of [...nginxPids(edge), ...nginxPids(echoEdge), ...REFERENCE_KINDS.flatMap((kind) => nginxPids(referenceEdges[kind]))]) killQuietly(pid, 'SIGKILL');
  });

  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // Edges first (no new requests), then each service before the ones it calls, then the database.
      for (const step of stops.reverse()) await step().catch((error: unknown) => log(`stop: ${String(error)}`));
      await Promise.all(sinks.map((sink) => sink.close()));
    })());

  try {
    const keys = ensureDevKeys();
    // Fresh logs (nginx's access logs grow by a line per request).
    for (const logs of [join(dataDir, 'logs'), ...['echo-edge', ...REFERENCE_KINDS.map((kind) => `${kind}-edge`)].map((edgeDir) => join(dataDir, edgeDir, 'logs'))]) {
      rmSync(logs, { recursive: true, force: true });
    }
    mkdirSync(join(dataDir, 'logs'), { recursive: true });
    const [pg, orchestrator, federated, scoped, starship, demo, demoAlt, echo1, echo2, echo3, echoStarship, echoDemo, echoDemoAlt, dispatcher, ...referencePorts] =
      await freePorts(14 + REFERENCE_KINDS.length * 6);
    const config: RunnerConfig = {
      repo: REPO_ROOT,
      dataDir,
      ports: { postgres: pg!, orchestrator: orchestrator!, federatedAuth: federated!, scopedAuth: scoped!, webhookDispatcher: dispatcher!, starship: starship!, demo: demo!, demoAlt: demoAlt! },
      databaseUrl: undefined,
      readyTimeoutMs: 60_000,
      starshipLimits: loadStarshipLimits(UNTHROTTLED),
    };
    const echoConfig: RunnerConfig = {
      ...config,
      dataDir: join(dataDir, 'echo-edge'),
      ports: { ...config.ports, orchestrator: echo1!, starship: echoStarship!, demo: echoDemo!, demoAlt: echoDemoAlt! },
    };

    const database = await startDatabase(config, (line) => log(line));
    postgres = database.postgres;
    stops.push(async () => postgres?.stop());
    // A fresh database every run: the same starting point, and no conversations piling up between runs.
    if (postgres) await dropDatabase(postgres.url, DATABASE_NAME);
    const origin = demoOrigin(config);
    const seeded: DemoAccount = await prepareDemoData(database.url, origin);
    await withClient(database.url, (client) => client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements'));
    await admin(['config', 'set', seeded.accountSid, '--sensitivity', 'high'], database.url);
    const created = JSON.parse(await admin(['accounts', 'create', '--name', 'Benchmark (flag off)', '--json'], database.url)) as { accountSid: string };
    const issued = JSON.parse(await admin(['keys', 'issue', created.accountSid, '--json'], database.url)) as { key: string };
    await admin(['config', 'set', created.accountSid, '--origins', origin, '--sensitivity', 'high'], database.url);
    const flagsFile = writeFlagsFile(join(dataDir, 'webchat-flags.json'), { offFor: [created.accountSid] });

    const tsxLoader = require.resolve('tsx', { paths: [REPO_ROOT] });
    const urls = {
      databaseUrl: database.url,
      federatedAuthUrl: `http://127.0.0.1:${federated}`,
      scopedAuthUrl: `http://127.0.0.1:${scoped}`,
      flagsFile,
    };
    const launch = (name: string, color: Color, spec: Omit<ConstructorParameters<typeof ServiceProcess>[0], 'name'>) => {
      const sink = new LogSink(name, color, join(dataDir, 'logs', `${name}.log`), 16);
      sinks.push(sink);
      const service = new ServiceProcess({ name, ...spec }, sink, tsxLoader);
      services.push(service);
      stops.push(async () => service.stop(5000));
      void service.exited.then(() => {
        if (!stopping) rejectDied(new Error(`${name} ${service.describeExit()} unexpectedly (see ${join(dataDir, 'logs', `${name}.log`)})`));
      });
      return service;
    };
    const portOf = { 'scoped-auth': scoped!, 'federated-auth': federated!, orchestrator: orchestrator! };
    for (const { name, color } of SERVICES) {
      launch(name, color, {
        dir: join(REPO_ROOT, 'services', name),
        port: portOf[name],
        env: productionEnv(name, portOf[name], keys, urls, options.logLevel),
        nodeArgs: options.serviceNodeArgs,
      });
    }
    const echoPorts = [echo1!, echo2!, echo3!];
    // Last hop first, as above, so that stopping (in reverse) goes caller before callee.
    [...ECHO_HOPS.entries()].reverse().forEach(([index, role]) => {
      launch(`echo-${index + 1}`, 'gray', {
        dir: REPO_ROOT,
        entry: join('scripts', 'bench', 'echo-service.ts'),
        port: echoPorts[index]!,
        nodeArgs: options.serviceNodeArgs,
        env: {
          ...process.env,
          NODE_ENV: 'production',
          LOG_LEVEL: options.logLevel,
          HOST: '127.0.0.1',
          PORT: String(echoPorts[index]),
          ECHO_ROLE: role,
          SERVICE_KEYS_DIR: keys.serviceKeysDir,
          ...(index < 2 ? { ECHO_NEXT_URL: `http://127.0.0.1:${echoPorts[index + 1]}` } : {}),
        },
      });
    });
    // The reference chains: hop ports, then their Starship's listen and demo ports, per kind.
    const references = REFERENCE_KINDS.map((kind, index) => {
      const [hop1, hop2, hop3, edgePort, edgeDemo, edgeDemoAlt] = referencePorts.slice(index * 6, index * 6 + 6) as [number, number, number, number, number, number];
      const hops = [hop1, hop2, hop3];
      const edgeConfig: RunnerConfig = {
        ...config,
        dataDir: join(dataDir, `${kind}-edge`),
        ports: { ...config.ports, orchestrator: hop1, starship: edgePort, demo: edgeDemo, demoAlt: edgeDemoAlt },
      };
      [2, 1, 0].forEach((hop) => {
        launch(`${kind}-${hop + 1}`, 'gray', {
          dir: REPO_ROOT,
          entry: join('scripts', 'bench', 'reference-hop.ts'),
          port: hops[hop]!,
          nodeArgs: options.serviceNodeArgs,
          env: {
            ...process.env,
            NODE_ENV: 'production',
            HOST: '127.0.0.1',
            PORT: String(hops[hop]),
            REF_KIND: kind,
            ...(hop < 2 ? { REF_NEXT_URL: `http://127.0.0.1:${hops[hop + 1]}`, REF_NEXT_PATH: hop === 0 ? 'federated' : 'scoped' } : {}),
          },
        });
      });
      return { kind, edgeConfig, edgePort };
    });
    const abort = () => undefined;
    await Promise.race([Promise.all(services.map((service) => service.waitReady(config.readyTimeoutMs, abort))), died]);

    const env = { ...process.env, ...UNTHROTTLED };
    edge = await startStarship(config, seeded, env);
    stops.push(async () => edge?.nginx.stop(5000));
    echoEdge = await startStarship(echoConfig, seeded, env);
    stops.push(async () => echoEdge?.nginx.stop(5000));
    for (const { kind, edgeConfig } of references) {
      referenceEdges[kind] = await startStarship(edgeConfig, seeded, env);
      stops.push(async () => referenceEdges[kind]?.nginx.stop(5000));
    }
    // The whole path once before anything is measured (as `pnpm start` does).
    await mintThroughStarship(config, seeded.deploymentKey);

    const byName = (name: string) => services.find((service) => service.spec.name === name)?.pid;
    const pidsOf = (...names: string[]) => names.map(byName).filter((pid): pid is number => pid !== undefined);
    const pgDir = join(dataDir, 'local-pg', 'pgdata');
    return {
      edgeUrl: `http://127.0.0.1:${starship}`,
      echoEdgeUrl: `http://127.0.0.1:${echoStarship}`,
      orchestratorUrl: `http://127.0.0.1:${orchestrator}`,
      origin,
      databaseUrl: database.url,
      flagOn: { accountSid: seeded.accountSid, deploymentKey: seeded.deploymentKey },
      flagOff: { accountSid: created.accountSid, deploymentKey: issued.key },
      tokenRoles: () => ({
        nginx: nginxPids(edge),
        hop1: pidsOf('orchestrator'),
        hop2: pidsOf('federated-auth'),
        hop3: pidsOf('scoped-auth'),
        postgres: postgresProcesses(pgDir),
      }),
      echoRoles: () => ({ nginx: nginxPids(echoEdge), hop1: pidsOf('echo-1'), hop2: pidsOf('echo-2'), hop3: pidsOf('echo-3'), postgres: postgresProcesses(pgDir) }),
      references: Object.fromEntries(
        references.map(({ kind, edgePort }) => [
          kind,
          {
            edgeUrl: `http://127.0.0.1:${edgePort}`,
            roles: () => ({ nginx: nginxPids(referenceEdges[kind]), hop1: pidsOf(`${kind}-1`), hop2: pidsOf(`${kind}-2`), hop3: pidsOf(`${kind}-3`), postgres: postgresProcesses(pgDir) }),
          },
        ]),
      ) as unknown as BenchSystem['references'],
      processes: () => [
        ...services.map((service) => ({ name: service.spec.name, pid: service.pid ?? 0 })),
        ...nginxPids(edge).map((pid) => ({ name: 'starship', pid })),
        ...nginxPids(echoEdge).map((pid) => ({ name: 'echo-starship', pid })),
        ...REFERENCE_KINDS.flatMap((kind) => nginxPids(referenceEdges[kind]).map((pid) => ({ name: `${kind}-starship`, pid }))),
      ].filter(({ pid }) => pid > 0),
      died,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

const PID_FILE = join('run', 'bench.json');

interface PidRecord {
  runner: number;
  processes: Array<{ name: string; pid: number; cmdline: string }>;
}

const cmdlineOf = (pid: number) => (readCmdline(pid) ?? []).join(' ');

/** Recorded so that a run killed with SIGKILL does not leave its services behind for ever. */
export function recordProcesses(dataDir: string, processes: Array<{ name: string; pid: number }>): void {
  const file = join(dataDir, PID_FILE);
  mkdirSync(dirname(file), { recursive: true });
  const record: PidRecord = { runner: process.pid, processes: processes.map((entry) => ({ ...entry, cmdline: cmdlineOf(entry.pid) })) };
  writeFileSync(file, JSON.stringify(record, null, 2));
}

/**
 * One benchmark per data folder. Processes a killed earlier run left behind (same pid, same command
 * line) are killed; a live earlier run is an error. PostgreSQL is left to startPrivatePostgres, which
 * stops a postmaster still running on its folder.
 */
export function claimDataDir(dataDir: string, log: (line: string) => void): () => void {
  const file = join(dataDir, PID_FILE);
  let previous: PidRecord | undefined;
  try {
    previous = JSON.parse(readFileSync(file, 'utf8')) as PidRecord;
  } catch {
    previous = undefined;
  }
  if (previous && previous.runner !== process.pid && isProcessAlive(previous.runner) && /bench/.test(cmdlineOf(previous.runner))) {
    throw new Error(`another benchmark (pid ${previous.runner}) is using ${dataDir}; wait for it or stop it`);
  }
  for (const entry of previous?.processes ?? []) {
    if (!isProcessAlive(entry.pid) || cmdlineOf(entry.pid) !== entry.cmdline) continue;
    log(`killing ${entry.name} (pid ${entry.pid}) left behind by an earlier, killed run`);
    killQuietly(-entry.pid, 'SIGKILL');
    killQuietly(entry.pid, 'SIGKILL');
  }
  recordProcesses(dataDir, []);
  return () => rmSync(file, { force: true });
}
