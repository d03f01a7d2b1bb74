/**
 * `pnpm start`: the whole system on this machine. A private PostgreSQL (unless DATABASE_URL is given),
 * scoped-auth, federated-auth, the orchestrator and the webhook dispatcher as separate processes, Starship (nginx) in front,
 * and the demo site. Waits on health checks, prints the URLs and the demo key, and on Ctrl-C/SIGTERM
 * stops everything it started. System packages and `pnpm install` are handled before this file runs
 * (scripts/local/bootstrap.cjs); `tsx scripts/start.ts` works too once they are in place.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PrivatePostgres } from '@webchat/local-infra';
import { loadRunnerConfig, portClaims, type RunnerConfig } from './local/config';
import { prepareDemoData, startDatabase, type DemoAccount } from './local/database';
import { LogSink, followFile, paint } from './local/logs';
import { clearLeftovers } from './local/leftovers';
import { acquireRunnerLock } from './local/lock';
import { assertPortsFree } from './local/ports';
import { ServiceProcess } from './local/service-process';
import { startEchoBot } from './local/echo-bot';
import { demoOrigin, mintThroughStarship, startStarship, starshipUrl, type RunningStarship } from './local/starship';

const DRAIN_GRACE_MS = 15_000;
const say = (line: string) => process.stdout.write(`${paint('bold', 'webchat')}        ${paint('gray', '|')} ${line}\n`);
const warn = (line: string) => process.stderr.write(`${paint('bold', 'webchat')}        ${paint('gray', '|')} ${paint('yellow', line)}\n`);

interface Running {
  postgres?: PrivatePostgres;
  services: ServiceProcess[];
  sinks: LogSink[];
  starship?: RunningStarship;
  stopFollowing?: () => void;
  releaseLock?: () => void;
}

const running: Running = { services: [], sinks: [] };
let stopping: Promise<void> | undefined;
let stopReason: string | undefined;
let forced = false;

/** Edge first (it stops taking requests), then each service before the ones it calls, then the database. */
async function stopEverything(): Promise<void> {
  running.stopFollowing?.();
  if (running.starship) {
    say('stopping Starship (nginx)');
    await running.starship.nginx.stop(forced ? 0 : 5000).catch((error: unknown) => warn(`nginx: ${String(error)}`));
  }
  const order = ['echo-bot', 'webhook-dispatcher', 'orchestrator', 'federated-auth', 'scoped-auth'];
  const services = [...running.services].sort((a, b) => order.indexOf(a.spec.name) - order.indexOf(b.spec.name));
  for (const service of services) {
    if (service.running) say(`stopping ${service.spec.name} (SIGTERM, drain)`);
    const { forced: killed } = await service.stop(forced ? 0 : DRAIN_GRACE_MS);
    if (killed) warn(`${service.spec.name} did not stop within ${DRAIN_GRACE_MS} ms; killed`);
  }
  if (running.postgres) {
    say('stopping PostgreSQL');
    await running.postgres.stop().catch((error: unknown) => warn(`PostgreSQL: ${String(error)}`));
  }
  await Promise.all(running.sinks.map((sink) => sink.close()));
  running.releaseLock?.();
}

function shutdown(reason: string, exitCode: number): Promise<void> {
  if (stopping) return stopping;
  stopReason = reason;
  say(`${reason}: stopping everything this run started`);
  stopping = stopEverything().then(
    () => {
      say('stopped');
      process.exit(exitCode);
    },
    (error: unknown) => {
      warn(`unclean stop: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
  return stopping;
}

function onSignal(signal: NodeJS.Signals): void {
  if (stopping) {
    // A second Ctrl-C: no more waiting for drains.
    if (!forced) warn(`${signal} again: killing what is left`);
    forced = true;
    for (const service of running.services) service.kill();
    return;
  }
  void shutdown(`received ${signal}`, 0);
}

/**
 * pnpm does not pass a SIGTERM on to its script (npm does): `kill <pnpm pid>` would orphan us. Started
 * as a package script, being reparented means whoever ran `pnpm start` is gone, so stop as if signalled.
 * Started directly (`node scripts/local/bootstrap.cjs &`, nohup), a vanished parent is no reason to stop.
 */
function stopWhenOrphaned(): void {
  if (!process.env.npm_lifecycle_event) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) void shutdown('the package manager that ran `start` exited', 0);
  }, 500);
  timer.unref();
}

const abortIfStopping = () => (stopping ? new Error(`interrupted (${stopReason})`) : undefined);

function serviceEnv(config: RunnerConfig, name: string, port: number, databaseUrl: string): NodeJS.ProcessEnv {
  const urls = { federated: `http://127.0.0.1:${config.ports.federatedAuth}`, scoped: `http://127.0.0.1:${config.ports.scopedAuth}` };
  const common = { ...process.env, NODE_ENV: 'development', HOST: '127.0.0.1', PORT: String(port) };
  if (name === 'scoped-auth') return common;
  if (name === 'federated-auth') return { ...common, SCOPED_AUTH_URL: urls.scoped };
  // Development: receivers on this machine (http, loopback) are allowed, so a local bot or RequestBin-like tool works.
  if (name === 'webhook-dispatcher') return { ...common, DATABASE_URL: databaseUrl, WEBHOOK_ALLOW_LOCAL_URLS: 'true' };
  return { ...common, DATABASE_URL: databaseUrl, FEDERATED_AUTH_URL: urls.federated, SCOPED_AUTH_URL: urls.scoped, TRUSTED_PROXIES: 'loopback' };
}

async function step<T>(what: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await work();
  const stop = abortIfStopping();
  if (stop) throw stop;
  say(`${what} ${paint('gray', `(${Date.now() - started} ms)`)}`);
  return result;
}

function printSummary(config: RunnerConfig, demo: DemoAccount, databaseUrl: string, totalMs: number): void {
  const rows: Array<[string, string]> = [
    ['Demo site (allowed origin)', demoOrigin(config)],
    ['Demo site (not allowed)', demoOrigin(config, config.ports.demoAlt)],
    ['Starship, the public API', `${starshipUrl(config)}  (POST /v2/Webchat/Token, /healthz)`],
    ['orchestrator (internal)', `http://127.0.0.1:${config.ports.orchestrator}`],
    ['federated-auth (internal)', `http://127.0.0.1:${config.ports.federatedAuth}`],
    ['scoped-auth (internal)', `http://127.0.0.1:${config.ports.scopedAuth}`],
    ['webhook dispatcher', `running (health http://127.0.0.1:${config.ports.webhookDispatcher}/readyz); add one: pnpm webchat-admin webhooks add ${demo.accountSid} --url URL`],
    ['PostgreSQL', databaseUrl.replace(/:[^:@/]*@/, ':***@')],
    ['Demo account', demo.accountSid],
    ['Demo deployment key', demo.deploymentKey],
    ['Agent desk', `${starshipUrl(config)}/desk/`],
    ['Demo agent key (desk sign-in)', demo.agentKey],
    ...(config.echoBot ? [['Echo bot', `answers every guest message (http://127.0.0.1:${config.echoBot.port}/webhooks)`] as [string, string]] : []),
    ['Operator CLI', `pnpm webchat-admin accounts show ${demo.accountSid}   (also: config import, origins refused)`],
    ['Try the API', `curl -s '${starshipUrl(config)}/v2/Webchat/Configuration?deploymentKey=${demo.deploymentKey}' -H 'Origin: ${demoOrigin(config)}'`],
    ['API description', `${starshipUrl(config)}/v2/openapi.json`],
    ['Logs', join(config.dataDir, 'logs')],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  say(paint('green', `Webchat is running (ready in ${(totalMs / 1000).toFixed(1)} s)`));
  for (const [label, value] of rows) say(`  ${label.padEnd(width)}  ${paint('cyan', value)}`);
  say(`Press Ctrl-C to stop (or: kill ${process.pid}).`);
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  stopWhenOrphaned();
  const config = loadRunnerConfig();
  mkdirSync(join(config.dataDir, 'logs'), { recursive: true });
  running.releaseLock = acquireRunnerLock(join(config.dataDir, 'run', 'runner.pid'));
  const claims = portClaims(config);
  const leftovers = await clearLeftovers(config, claims, say);
  // A postmaster left on our own cluster is stopped and restarted by startPrivatePostgres.
  await assertPortsFree(claims.filter((claim) => !leftovers.some((left) => left.kind === 'postgres' && left.port === claim.port)));

  const { url: databaseUrl, postgres } = await step(config.databaseUrl ? 'using DATABASE_URL' : 'PostgreSQL started', () =>
    startDatabase(config, (line) => say(paint('gray', line))),
  );
  running.postgres = postgres;
  const demo = await step('database migrated and demo account seeded', () => prepareDemoData(databaseUrl, demoOrigin(config), { echoBot: config.echoBot !== undefined }));

  const tsxLoader = require.resolve('tsx', { paths: [config.repo] });
  const specs: Array<{ name: string; port: number; color: 'magenta' | 'blue' | 'cyan' | 'green'; dir?: string; entry?: string }> = [
    { name: 'scoped-auth', port: config.ports.scopedAuth, color: 'magenta' },
    { name: 'federated-auth', port: config.ports.federatedAuth, color: 'blue' },
    { name: 'orchestrator', port: config.ports.orchestrator, color: 'cyan' },
    // Its own process from the orchestrator package: delivers conversation events to webhooks.
    { name: 'webhook-dispatcher', port: config.ports.webhookDispatcher, color: 'green', dir: 'orchestrator', entry: 'src/webhook-dispatcher.ts' },
  ];
  // Development keys are written atomically (first writer wins), so the three can start together.
  await step('services ready', async () => {
    for (const spec of specs) {
      const sink = new LogSink(spec.name, spec.color, join(config.dataDir, 'logs', `${spec.name}.log`));
      running.sinks.push(sink);
      const env = serviceEnv(config, spec.name, spec.port, databaseUrl);
      const dir = join(config.repo, 'services', spec.dir ?? spec.name);
      const service = new ServiceProcess({ name: spec.name, dir, port: spec.port, env, ...(spec.entry ? { entry: spec.entry } : {}) }, sink, tsxLoader);
      running.services.push(service);
      void service.exited.then(() => {
        if (!stopping) void shutdown(`${spec.name} ${service.describeExit()} unexpectedly`, 1);
      });
    }
    await Promise.all(running.services.map((service) => service.waitReady(config.readyTimeoutMs, abortIfStopping)));
  });

  running.starship = await step('Starship (nginx) and the demo site ready', () => startStarship(config, demo));
  const access = new LogSink('starship', 'yellow');
  running.stopFollowing = followFile(running.starship.accessLog, (line) => access.line(line));
  const check = await step('self-check: token minted through Starship', () => mintThroughStarship(config, demo.deploymentKey));
  say(paint('gray', `  (request ${check.requestId}, ${check.ms} ms)`));
  if (config.echoBot) {
    const sink = new LogSink('echo-bot', 'green', join(config.dataDir, 'logs', 'echo-bot.log'));
    running.sinks.push(sink);
    const bot = await step('echo bot connected (agent "Echo", webhook on message.created)', () => startEchoBot(config, demo, databaseUrl, sink, tsxLoader));
    running.services.push(bot);
    void bot.exited.then(() => {
      if (!stopping) void shutdown(`echo-bot ${bot.describeExit()} unexpectedly`, 1);
    });
  }
  printSummary(config, demo, databaseUrl, Date.now() - startedAt);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  if (stopping) return; // a signal or a crash is already stopping everything
  process.stderr.write(`${paint('red', 'webchat: failed to start:')} ${message}\n`);
  void shutdown('start-up failed', 1);
});
