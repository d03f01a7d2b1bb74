import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { getFreePort, REPO_ROOT, TEMPLATE_ENV, createTestDatabase, type TestDatabase } from '@webchat/testkit';
import { createAccountRepository } from '@webchat/orchestrator/src/data-access/account-repository';
import { createConversationRepository, type ConversationRepository } from '@webchat/orchestrator/src/data-access/conversation-repository';
import { migrateUp } from '@webchat/orchestrator/src/data-access/migrate';
import { createDatabase, type Database } from '@webchat/orchestrator/src/data-access/pool';
import { runCli } from '@webchat/orchestrator/src/cli/webchat-admin';

const DISPATCHER_ENTRY = path.join(REPO_ROOT, 'services/orchestrator/src/webhook-dispatcher.ts');
// `node --import tsx`: one process, so a SIGKILL hits the dispatcher itself (the tsx CLI would be a parent
// whose death leaves the real process running).
const TSX_LOADER = pathToFileURL(require.resolve('tsx', { paths: [REPO_ROOT] })).href;

/*
 * What a timed-out wait prints besides its own message, so a CI failure shows why: the tail of each running
 * dispatcher's log and the outbox as the database has it (pending deliveries, drain jobs).
 */
const diagnostics = new Set<() => string | Promise<string>>();

async function describeState(): Promise<string> {
  const parts: string[] = [];
  for (const describe of diagnostics) parts.push(await Promise.resolve().then(describe).catch((error: unknown) => `(diagnostics failed: ${String(error)})`));
  return parts.join('\n');
}

const tail = (text: string, lines: number) => text.split('\n').slice(-lines).join('\n');

/** One test file's world: its own database, account and conversation repository. */
export interface World {
  testDb: TestDatabase;
  db: Database;
  conversations: ConversationRepository;
  accountSid: string;
  admin(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

export async function createWorld(): Promise<World> {
  const testDb = await createTestDatabase();
  if (!process.env[TEMPLATE_ENV]) await migrateUp(testDb.url);
  // Five seconds to connect, as the harness allows: a loaded CI machine's first connection is slow.
  const db = createDatabase({ connectionString: testDb.url, max: 8, connectTimeoutMs: 5000, statementTimeoutMs: 10_000 });
  const { accountSid } = await createAccountRepository(db).createAccount({ friendlyName: 'Hooks Ltd' });
  const outbox = async () => {
    const pending = await db.query<{ endpoint_id: string; conversation_sid: string; pending: number; attempts: number; next_attempt_at: Date }>(
      `SELECT endpoint_id, conversation_sid, count(*)::int AS pending, max(attempts) AS attempts, min(next_attempt_at) AS next_attempt_at
         FROM webhook_deliveries WHERE status = 'pending' GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    const jobs = await db.query<{ key: string | null; run_at: Date; locked_at: Date | null; attempts: number; last_error: string | null }>(
      `SELECT key, run_at, locked_at, attempts, last_error FROM graphile_worker.jobs WHERE task_identifier = 'webhook_drain' ORDER BY id`,
    );
    return [
      `now ${new Date().toISOString()}; pending deliveries (endpoint, conversation, count, max attempts, next attempt):`,
      ...pending.rows.map((r) => `  ${r.endpoint_id} ${r.conversation_sid} ${r.pending} ${r.attempts} ${r.next_attempt_at.toISOString()}`),
      'webhook_drain jobs (key, run at, locked at, attempts, last error):',
      ...jobs.rows.map((j) => `  ${j.key} ${j.run_at.toISOString()} ${j.locked_at?.toISOString() ?? '-'} ${j.attempts} ${j.last_error?.slice(0, 200) ?? '-'}`),
    ].join('\n');
  };
  diagnostics.add(outbox);
  return {
    testDb,
    db,
    conversations: createConversationRepository(db),
    accountSid,
    admin: (...argv) => runAdmin(testDb.url, argv),
    async close() {
      diagnostics.delete(outbox);
      await db.close();
      await testDb.drop();
    },
  };
}

/** `webchat-admin` against a database, with what it printed. */
export async function runAdmin(databaseUrl: string, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    databaseUrl,
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
  });
  return { code, stdout: stdout.trim(), stderr: stderr.trim() };
}

/** `webhooks add` through the CLI: the endpoint id (from list) and the secret it printed once. */
export async function addEndpoint(world: Pick<World, 'admin' | 'accountSid'>, url: string, extra: string[] = []): Promise<{ id: string; secret: string }> {
  const added = await world.admin('webhooks', 'add', world.accountSid, '--url', url, '--json', ...extra);
  if (added.code !== 0) throw new Error(`webhooks add failed: ${added.stderr}`);
  const endpoint = JSON.parse(added.stdout) as { id: string; secret: string };
  return { id: endpoint.id, secret: endpoint.secret };
}

/** A guest conversation; `say` stores guest messages through the same repository the API uses. */
export async function openConversation(world: World) {
  const identity = randomUUID();
  const { conversation } = await world.conversations.createConversation({
    accountSid: world.accountSid, identity, customerFriendlyName: 'Ada', preEngagementData: null, messages: [],
  });
  const owner = { accountSid: world.accountSid, identity };
  return {
    sid: conversation.conversationSid,
    async say(body: string) {
      const result = await world.conversations.addGuestMessage(conversation.conversationSid, owner, body, { messages: 10_000, windowSeconds: 60 });
      if (result.outcome !== 'stored') throw new Error(`message not stored: ${result.outcome}`);
    },
  };
}

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
  /** What the receiver answered (undefined: it hung). */
  status?: number;
}

/** A real HTTP receiver on 127.0.0.1; `respond` decides each answer (default 200). */
type Answer = number | 'hang' | { status: number; headers: Record<string, string> };

export async function startReceiver(respond: (request: Received, index: number) => Answer | Promise<Answer> = () => 200) {
  const received: Received[] = [];
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const request: Received = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      received.push(request);
      const answer = await respond(request, received.length - 1);
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      const { status, headers } = typeof answer === 'number' ? { status: answer, headers: {} } : answer;
      request.status = status;
      res.writeHead(status, headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    port,
    received,
    events: () => received.map((r) => JSON.parse(r.body) as WebhookEvent),
    /** The events the receiver answered 2xx to, in the order it got them. */
    accepted: () => received.filter((r) => r.status !== undefined && r.status < 300).map((r) => JSON.parse(r.body) as WebhookEvent),
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface WebhookEvent {
  id: string;
  type: string;
  createdAt: string;
  accountSid: string;
  data: { conversationSid?: string; body?: string; author?: string; [key: string]: unknown };
}

export interface Dispatcher {
  process: ChildProcess;
  logs: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** The real dispatcher process (its start command), with fast retries for tests unless `env` says otherwise. */
export async function startDispatcher(databaseUrl: string, env: Record<string, string> = {}): Promise<Dispatcher> {
  const port = await getFreePort();
  let output = '';
  const child = spawn(process.execPath, ['--import', TSX_LOADER, DISPATCHER_ENTRY], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      LOG_LEVEL: 'info',
      WEBHOOK_RETRY_BASE_MS: '200',
      WEBHOOK_RETRY_MAX_MS: '1000',
      WEBHOOK_POLL_INTERVAL_MS: '500',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const log = () => `dispatcher pid ${child.pid}, last lines of its log:\n${tail(output, 60)}`;
  diagnostics.add(log);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      diagnostics.delete(log);
      resolve();
    }),
  );
  const deadline = Date.now() + 60_000; // tsx start-up on a busy 2-core machine
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dispatcher exited at start:\n${output}`);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
    if (ready && output.includes('dispatching webhooks')) break;
    if (Date.now() > deadline) throw new Error(`dispatcher not ready:\n${output}`);
    await delay(100);
  }
  return {
    process: child,
    logs: () => output,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/**
 * Polls until `check` is true (deliveries are asynchronous), failing with `what` after `timeoutMs`, and with
 * the running dispatchers' logs and the outbox's state, so a failure on CI can be read without a rerun.
 */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${await describeState()}`);
    await delay(50);
  }
}

/**
 * `webhooks add` that is undone after the test whatever its outcome (call `removeAll` in afterEach): an endpoint
 * left behind by a failed test would receive, and be counted in, every later test's events.
 */
export function endpointsOf(world: Pick<World, 'admin' | 'accountSid'>) {
  const added: string[] = [];
  return {
    async add(url: string, extra: string[] = []) {
      const endpoint = await addEndpoint(world, url, extra);
      added.push(endpoint.id);
      return endpoint;
    },
    async removeAll() {
      for (const id of added.splice(0)) {
        const removed = await world.admin('webhooks', 'remove', id);
        if (removed.code !== 0 && !removed.stderr.includes('does not exist')) throw new Error(`webhooks remove ${id} failed: ${removed.stderr}`);
      }
    },
  };
}
