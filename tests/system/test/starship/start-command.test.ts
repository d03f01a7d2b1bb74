import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { WEB_CHANNELS_PATH, WEBCHAT_TOKEN_PATH, WebchatTokenResponse } from '@webchat/contracts';
import { REPO_ROOT, childPids, getFreePortBelowEphemeralRange, isPortFree, isProcessAlive, pidsMatching, postgresProcesses } from '@webchat/testkit';
import { SecretWatch, browserHeaders, call, describeLeak, logFileLines, watchSignals } from '@webchat/test-harness';
import { runCli } from '@webchat/orchestrator/src/cli/webchat-admin';
import { localDatabaseUrl } from '@webchat/orchestrator/src/cli/config';

/*
 * The README's run command for real: `pnpm start` runs scripts/local/bootstrap.cjs, started here the same
 * way (system packages and `pnpm install` are the test command's job, so they are skipped), on free ports
 * and with its own data folder, so a developer's running system is never touched.
 */

const REPO = REPO_ROOT;
const READY = 'Press Ctrl-C to stop';
/** Every port the runner binds (scripts/local/config.ts), so nothing here meets a default port another run holds. */
const PORT_VARIABLES = ['WEBCHAT_PG_PORT', 'ORCHESTRATOR_PORT', 'FEDERATED_AUTH_PORT', 'SCOPED_AUTH_PORT', 'WEBHOOK_DISPATCHER_PORT', 'STARSHIP_PORT', 'DEMO_PORT', 'DEMO_ALT_PORT', 'ECHO_BOT_PORT'] as const;
type Ports = Record<(typeof PORT_VARIABLES)[number], number>;

interface Runner {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startRunner(env: Record<string, string>): Runner {
  const base = { ...process.env };
  for (const name of ['DATABASE_URL', 'PORT', 'FORCE_COLOR']) delete base[name];
  const child = spawn(process.execPath, ['scripts/local/bootstrap.cjs'], {
    cwd: REPO,
    env: { ...base, ...env, NO_COLOR: '1', WEBCHAT_SKIP_SETUP: '1' },
    // Its own process group: signals reach only the runner, as `kill PID` would.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  return { child, output: () => output, exited };
}

async function waitForOutput(runner: Runner, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void runner.exited.then(() => (exited = true));
  while (!runner.output().includes(text)) {
    if (exited) throw new Error(`the runner exited before printing "${text}":\n${runner.output()}`);
    if (Date.now() > deadline) throw new Error(`no "${text}" within ${timeoutMs} ms:\n${runner.output()}`);
    await delay(100);
  }
}

/** The runner and everything below it, plus the postmaster (pg_ctl detaches it) and its backends. */
function processesOf(runnerPid: number, dataDir: string): number[] {
  const all = new Set<number>([runnerPid]);
  const queue = [runnerPid];
  while (queue.length > 0) {
    for (const child of childPids(queue.shift() as number)) {
      if (!all.has(child)) {
        all.add(child);
        queue.push(child);
      }
    }
  }
  for (const pid of postgresProcesses(join(dataDir, 'local-pg', 'pgdata'))) all.add(pid);
  return [...all];
}

const mentioning = (dataDir: string) => pidsMatching((argv) => argv.join(' ').includes(dataDir));

/**
 * The runner's ports, chosen below the ephemeral range: the runner starts its services seconds after they are
 * chosen, and a suite in the other jest worker once got one of them from bind(0) meanwhile (scoped-auth: EADDRINUSE).
 */
async function freePorts(): Promise<Ports> {
  const ports = {} as Ports;
  for (const name of PORT_VARIABLES) ports[name] = await getFreePortBelowEphemeralRange();
  return ports;
}

const asEnv = (ports: Ports) => Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)]));

/** The bots of the runner's demo account, read with the operator CLI from its private cluster. */
async function demoBots(ports: Ports, accountSid: string): Promise<string[]> {
  let stdout = '';
  const code = await runCli(['agents', 'list', accountSid, '--json'], {
    databaseUrl: localDatabaseUrl(ports.WEBCHAT_PG_PORT),
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: () => undefined },
  });
  expect(code).toBe(0);
  return (JSON.parse(stdout) as Array<{ kind: string; friendlyName: string }>).filter((agent) => agent.kind === 'bot').map((agent) => agent.friendlyName);
}

/** A guest of the demo site, through Starship as the widget talks: one message, then the transcript until the bot answered. */
async function guestGetsEchoReply(ports: Ports, deploymentKey: string): Promise<Array<{ author: string; authorName?: string | null; body: string }>> {
  const starship = `http://127.0.0.1:${ports.STARSHIP_PORT}`;
  const headers = { ...browserHeaders(), origin: `http://localhost:${ports.DEMO_PORT}` };
  const minted = await call(`${starship}${WEBCHAT_TOKEN_PATH}`, { json: { deploymentKey }, headers });
  expect(minted.status).toBe(200);
  const guest = { ...headers, authorization: `Bearer ${minted.body.token}` };
  const created = await call(`${starship}${WEB_CHANNELS_PATH}`, { json: { customerFriendlyName: 'Grace' }, headers: guest });
  expect(created.status).toBe(201);
  const sid = created.body.conversationSid as string;
  expect((await call(`${starship}${WEB_CHANNELS_PATH}/${sid}/Messages`, { json: { body: 'Hello bot' }, headers: guest })).status).toBe(201);
  const transcript = async () => (await call(`${starship}${WEB_CHANNELS_PATH}/${sid}`, { headers: guest })).body.messages as Array<{ author: string; authorName?: string | null; body: string }>;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await delay(250)) {
    const messages = await transcript();
    if (messages.some((m) => m.author === 'bot')) return messages;
  }
  throw new Error(`no reply from the echo bot within 30 s: ${JSON.stringify(await transcript())}`);
}

/** The development secrets the services generated for themselves (public keys are not secret). */
function watchDevSecrets(watch: SecretWatch): void {
  const dir = join(REPO, '.dev-secrets');
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.endsWith('.pub.pem')) continue;
    const text = readFileSync(join(entry.parentPath, entry.name), 'utf8');
    watch.add('key material', text.trim(), ...text.split('\n').filter((line) => !line.startsWith('-----')));
  }
}

describe('the start command (pnpm start)', () => {
  let dataDir: string;
  let ports: Ports;
  let current: Runner | undefined;
  /** Every token, identity, key and secret these runs saw; no log file may hold any of them. */
  const watch = new SecretWatch();

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'webchat-start-'));
    // initdb runs as user postgres, who must reach the cluster folder.
    chmodSync(dataDir, 0o755);
    ports = await freePorts();
  });

  afterAll(async () => {
    // Only after a failed test: leave nothing behind.
    if (current?.child.pid && isProcessAlive(current.child.pid)) {
      const leftovers = processesOf(current.child.pid, dataDir);
      current.child.kill('SIGTERM');
      await Promise.race([current.exited, delay(20_000, undefined, { ref: false })]);
      for (const pid of [...leftovers, ...mentioning(dataDir)]) if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** `echoBot`: as `WEBCHAT_ECHO_BOT=1 npm start`, checking the bot answers a guest (and its bot agents after that run). */
  async function runOnce(stopWith: NodeJS.Signals, options: { echoBot?: boolean } = {}): Promise<{ startupMs: number; output: string; bots?: string[] }> {
    const started = Date.now();
    const runner = startRunner({ ...asEnv(ports), WEBCHAT_DATA_DIR: dataDir, ...(options.echoBot ? { WEBCHAT_ECHO_BOT: '1' } : {}) });
    current = runner;
    await waitForOutput(runner, READY, 120_000);
    const startupMs = Date.now() - started;
    const pid = runner.child.pid as number;

    const key = /Demo deployment key\s+(\S+)/.exec(runner.output())?.[1];
    expect(key).toMatch(/^dk_/);
    // The banner names the agent desk, the CLI and one curl line, and that line works when pasted.
    const plain = runner.output().replace(/\x1b\[[0-9;]*m/g, '');
    expect(plain).toMatch(/Agent desk\s+\S/);
    expect(plain).toMatch(/Operator CLI\s+pnpm webchat-admin /);
    const curl = /Try the API\s+(curl .*)$/m.exec(plain)?.[1] ?? '';
    const configuration = JSON.parse(execFileSync('bash', ['-c', curl], { encoding: 'utf8', timeout: 15_000 })) as { fields: unknown[] };
    expect(configuration.fields.length).toBeGreaterThan(0);
    const demoOrigin = `http://localhost:${ports.DEMO_PORT}`;
    const minted = await fetch(`http://127.0.0.1:${ports.STARSHIP_PORT}/v2/Webchat/Token`, {
      method: 'POST',
      headers: { ...browserHeaders(), origin: demoOrigin, 'content-type': 'application/json' },
      body: JSON.stringify({ deploymentKey: key }),
    });
    expect(minted.status).toBe(200);
    expect(minted.headers.get('access-control-allow-origin')).toBe(demoOrigin);
    const token = WebchatTokenResponse.parse(await minted.json());
    watch.add('deployment key', key);
    watch.add('agent key', /Demo agent key \(desk sign-in\)\s+(\S+)/.exec(plain)?.[1]);
    await useAsAGuest(token, key as string, demoOrigin);
    const page = await (await fetch(`http://127.0.0.1:${ports.DEMO_ALT_PORT}/`)).text();
    expect(page).toContain(`"deploymentKey":"${key}"`);

    expect(plain).toMatch(/webhook dispatcher\s+running/);
    let bots: string[] | undefined;
    if (options.echoBot) {
      expect(plain).toMatch(/Echo bot\s+answers every guest message/);
      const transcript = await guestGetsEchoReply(ports, key as string);
      expect(transcript.filter((m) => m.author !== 'system').map((m) => [m.author, m.body])).toEqual([['guest', 'Hello bot'], ['bot', 'Echo: Hello bot']]);
      bots = await demoBots(ports, /Demo account\s+(AC[0-9a-f]{32})/.exec(plain)?.[1] ?? '');
    }

    const started_ = processesOf(pid, dataDir);
    // The runner, three services, nginx master and worker, and PostgreSQL with its helpers.
    expect(started_.length).toBeGreaterThanOrEqual(8);

    process.kill(pid, stopWith);
    const exit = await Promise.race([runner.exited, delay(60_000, undefined, { ref: false }).then(() => ({ code: -1, signal: null }))]);
    expect(exit).toEqual({ code: 0, signal: null });
    // A child that is exiting as the runner returns (a backend, a worker) gets a moment to be reaped.
    for (let waited = 0; waited < 5000 && started_.some(isProcessAlive); waited += 100) await delay(100);
    expect(started_.filter(isProcessAlive)).toEqual([]);
    expect(mentioning(dataDir)).toEqual([]);
    for (const port of Object.values(ports)) expect({ port, free: await isPortFree(port) }).toEqual({ port, free: true });
    current = undefined;
    return { startupMs, output: runner.output(), ...(bots ? { bots } : {}) };
  }

  /** What a guest does, so the services log the paths that see tokens and identities: a conversation, a message, a returning-guest mint. */
  async function useAsAGuest(token: WebchatTokenResponse, deploymentKey: string, origin: string): Promise<void> {
    watch.add('token', token.token);
    watch.add('guest identity', token.identity);
    const edge = `http://127.0.0.1:${ports.STARSHIP_PORT}`;
    const headers = { ...browserHeaders(), origin, 'content-type': 'application/json' };
    const guest = { ...headers, authorization: `Bearer ${token.token}` };
    const created = await fetch(`${edge}/v2/WebChannels`, { method: 'POST', headers: guest, body: '{}' });
    expect(created.status).toBe(201);
    const { conversationSid } = (await created.json()) as { conversationSid: string };
    const posted = await fetch(`${edge}/v2/WebChannels/${conversationSid}/Messages`, { method: 'POST', headers: guest, body: JSON.stringify({ body: 'Hello from the start-command test' }) });
    expect(posted.status).toBe(201);
    const returning = await fetch(`${edge}/v2/Webchat/Token`, { method: 'POST', headers, body: JSON.stringify({ deploymentKey, previousToken: token.token }) });
    expect(returning.status).toBe(200);
    const again = WebchatTokenResponse.parse(await returning.json());
    expect(again.identity).toBe(token.identity);
    watch.add('token', again.token);
  }

  it('starts everything, mints a token through Starship, and on SIGTERM stops every process it started', async () => {
    const { startupMs, output } = await runOnce('SIGTERM');
    const order = ['stopping Starship', 'stopping orchestrator', 'stopping federated-auth', 'stopping scoped-auth', 'stopping PostgreSQL', 'webchat        | stopped'];
    const positions = order.map((line) => output.indexOf(line));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    process.stdout.write(`first start (initdb included): ready after ${startupMs} ms\n`);
  }, 180_000);

  it('starts a second time on the same data (after a stop), with WEBCHAT_ECHO_BOT=1: the banner names the dispatcher and the echo bot, a guest gets its reply; stops on SIGINT (Ctrl-C)', async () => {
    const { startupMs, bots } = await runOnce('SIGINT', { echoBot: true });
    expect(bots).toEqual(['Echo']);
    process.stdout.write(`second start (with the echo bot): ready after ${startupMs} ms\n`);
  }, 180_000);

  it('after a runner was killed with SIGKILL, the next start stops what it left behind, and then stops cleanly itself', async () => {
    const killed = startRunner({ ...asEnv(ports), WEBCHAT_DATA_DIR: dataDir });
    current = killed;
    await waitForOutput(killed, READY, 120_000);
    const orphans = processesOf(killed.child.pid as number, dataDir).filter((pid) => pid !== killed.child.pid);
    process.kill(killed.child.pid as number, 'SIGKILL');
    await killed.exited;
    expect(orphans.filter(isProcessAlive).length).toBeGreaterThanOrEqual(6);

    // With the echo bot again: the bot agent of the earlier run is reused, not a second one added.
    const { output, bots } = await runOnce('SIGTERM', { echoBot: true });
    expect(output).toContain('left on port');
    expect(orphans.filter(isProcessAlive)).toEqual([]);
    expect(bots).toEqual(['Echo']);
  }, 180_000);

  it('when a port is taken, then it fails at once naming the port, what it is for and who holds it, and starts nothing', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((done) => blocker.listen(ports.STARSHIP_PORT, '127.0.0.1', done));
    try {
      const runner = startRunner({ ...asEnv(ports), WEBCHAT_DATA_DIR: dataDir });
      current = runner;
      const exit = await Promise.race([runner.exited, delay(30_000, undefined, { ref: false }).then(() => ({ code: -1, signal: null }))]);
      expect(exit).toEqual({ code: 1, signal: null });
      expect(runner.output()).toContain(`port ${ports.STARSHIP_PORT}, needed for Starship, the public edge, is already in use by pid ${process.pid}`);
      expect(runner.output()).toContain('STARSHIP_PORT');
      expect(mentioning(dataDir)).toEqual([]);
      current = undefined;
    } finally {
      await new Promise<void>((done) => blocker.close(() => done()));
    }
  }, 60_000);

  it('no line of any log file these runs wrote (services, Starship, PostgreSQL) holds a token, identity, key or secret', () => {
    watchSignals(watch, browserHeaders());
    watchDevSecrets(watch);
    const lines = logFileLines(dataDir, (file) => file.includes('pgdata'));
    // Every process wrote its file: the services, Starship's access log, PostgreSQL.
    const sources = new Set(lines.map((entry) => entry.source));
    for (const name of ['orchestrator.log', 'federated-auth.log', 'scoped-auth.log', 'starship.access.log']) expect([...sources]).toContainEqual(expect.stringContaining(name));
    expect(watch.scan(lines).map(describeLeak)).toEqual([]);
  });
});
