/**
 * The webhook benchmark (issue 15), run by `pnpm bench` after the HTTP scenarios: a private Postgres, the real
 * dispatcher process, a receiver on 127.0.0.1. Messages are stored through the orchestrator's repository (so
 * the outbox trigger runs in their transaction) at a steady rate; the receiver notes when each event arrives.
 * Printed and written to bench-results/webhooks.{json,md}; nothing is asserted.
 *   BENCH_WEBHOOKS=0                 skip it
 *   BENCH_WEBHOOK_RATE               messages per second (default 200)
 *   BENCH_WEBHOOK_SECONDS            how long the steady phase lasts (default 20; short mode 5)
 *   BENCH_WEBHOOK_BURST              messages written at once for the throughput phase (default 3000)
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { dropDatabase, getFreePort } from '@webchat/local-infra';
import { createConversationRepository } from '@webchat/orchestrator/src/data-access/conversation-repository';
import { createDatabase } from '@webchat/orchestrator/src/data-access/pool';
import { REPO_ROOT, type RunnerConfig } from '../local/config';
import { admin, DATABASE_NAME, prepareDemoData, startDatabase } from '../local/database';
import { LogSink } from '../local/logs';
import { ServiceProcess } from '../local/service-process';

export interface WebhookFigures {
  rate: number;
  steadySeconds: number;
  steadySent: number;
  steadyDelivered: number;
  deliveredPerSecond: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  burst: number;
  burstEventsPerSecond: number;
  /** What the writer managed (below `rate` when the machine is saturated). */
  achievedRate: number;
  writeErrors: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

export async function runWebhookBenchmark(options: { dataDir: string; resultsDir: string; short: boolean; log: (line: string) => void }): Promise<WebhookFigures> {
  const env = process.env;
  const rate = Number(env.BENCH_WEBHOOK_RATE || 200);
  const steadySeconds = Number(env.BENCH_WEBHOOK_SECONDS || (options.short ? 5 : 20));
  const burst = Number(env.BENCH_WEBHOOK_BURST || (options.short ? 500 : 3000));
  const stops: Array<() => Promise<unknown>> = [];
  try {
    const [pgPort, dispatcherPort] = [await getFreePort(), await getFreePort()];
    const config = { repo: REPO_ROOT, dataDir: join(options.dataDir, 'webhooks'), databaseUrl: undefined, readyTimeoutMs: 60_000, ports: { postgres: pgPort } } as unknown as RunnerConfig;
    const database = await startDatabase(config, () => undefined);
    if (database.postgres) stops.push(() => database.postgres!.stop());
    // A fresh database every run: the same starting point, whatever an older run (or branch) left.
    if (database.postgres) await dropDatabase(database.postgres.url, DATABASE_NAME);
    const { accountSid } = await prepareDemoData(database.url, 'http://localhost:3000');

    const arrivals = new Map<string, number>(); // event id -> first receipt (ms)
    const created = new Map<string, number>();
    const receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const now = Date.now();
        const event = JSON.parse(Buffer.concat(chunks).toString()) as { id: string; type: string; data: { createdAt: string } };
        if (event.type === 'message.created' && !arrivals.has(event.id)) {
          arrivals.set(event.id, now);
          created.set(event.id, Date.parse(event.data.createdAt));
        }
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    stops.push(() => new Promise((resolve) => receiver.close(resolve)));
    const { port } = receiver.address() as { port: number };
    await admin(['webhooks', 'add', accountSid, '--url', `http://127.0.0.1:${port}/hooks`, '--events', 'message.created'], database.url);

    const sink = new LogSink('webhook-dispatcher', 'green', join(config.dataDir, 'dispatcher.log'));
    stops.push(() => sink.close());
    const dispatcher = new ServiceProcess(
      {
        name: 'webhook-dispatcher', dir: join(REPO_ROOT, 'services/orchestrator'), entry: 'src/webhook-dispatcher.ts', port: dispatcherPort,
        env: { ...env, NODE_ENV: 'development', LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(dispatcherPort), DATABASE_URL: database.url, WEBHOOK_ALLOW_LOCAL_URLS: 'true' },
      },
      sink,
      require.resolve('tsx', { paths: [REPO_ROOT] }),
    );
    stops.push(() => dispatcher.stop(10_000));
    await dispatcher.waitReady(60_000, () => undefined);

    // Generous waits: on a busy machine the writer falls behind; the figures say so rather than the run failing.
    const db = createDatabase({ connectionString: database.url, max: 16, connectTimeoutMs: 120_000, statementTimeoutMs: 60_000 });
    stops.push(() => db.close());
    const conversations = createConversationRepository(db);
    const owners = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const identity = randomUUID();
        const { conversation } = await conversations.createConversation({ accountSid, identity, customerFriendlyName: 'Bench', preEngagementData: null, messages: [] });
        return { sid: conversation.conversationSid, owner: { accountSid, identity } };
      }),
    );
    const limit = { messages: 1_000_000, windowSeconds: 60 };
    let writeErrors = 0;
    const say = (i: number) => {
      const target = owners[i % owners.length]!;
      return conversations.addGuestMessage(target.sid, target.owner, `bench ${i}`, limit).catch(() => {
        writeErrors += 1;
      });
    };

    options.log(`webhooks: ${rate} messages/s for ${steadySeconds} s`);
    const steadyTotal = Math.round(rate * steadySeconds);
    const startedAt = Date.now();
    const started = Date.now();
    const writes: Array<Promise<unknown>> = [];
    for (let i = 0; i < steadyTotal; i += 1) {
      const due = started + (i * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 1) await delay(wait);
      writes.push(say(i));
    }
    await Promise.all(writes);
    const achievedRate = Math.round(steadyTotal / ((Date.now() - startedAt) / 1000));
    const drainDeadline = Date.now() + 60_000;
    while (arrivals.size < steadyTotal && Date.now() < drainDeadline) await delay(50);
    const lags = [...arrivals].map(([id, at]) => at - created.get(id)!).sort((a, b) => a - b);
    const steadyDelivered = arrivals.size;
    const steadySpan = (Math.max(...arrivals.values()) - Math.min(...arrivals.values())) / 1000;

    options.log(`webhooks: a burst of ${burst} messages`);
    arrivals.clear();
    const burstStart = Date.now();
    for (let i = 0; i < burst; i += 50) await Promise.all(Array.from({ length: Math.min(50, burst - i) }, (_, k) => say(steadyTotal + i + k)));
    const burstDeadline = Date.now() + 120_000;
    while (arrivals.size < burst && Date.now() < burstDeadline) await delay(50);
    const burstSeconds = (Math.max(...arrivals.values()) - burstStart) / 1000;

    const figures: WebhookFigures = {
      rate,
      steadySeconds,
      steadySent: steadyTotal,
      steadyDelivered,
      deliveredPerSecond: Math.round(steadyDelivered / Math.max(steadySpan, 0.001)),
      lagP50Ms: percentile(lags, 50),
      lagP99Ms: percentile(lags, 99),
      lagMaxMs: lags.at(-1) ?? NaN,
      burst,
      burstEventsPerSecond: Math.round(arrivals.size / Math.max(burstSeconds, 0.001)),
      achievedRate,
      writeErrors,
    };
    const md = [
      '| webhooks | value |',
      '| --- | ---: |',
      `| steady rate asked / achieved (messages/s, ${figures.steadySeconds} s) | ${figures.rate} / ${figures.achievedRate} |`,
      `| write errors | ${figures.writeErrors} |`,
      `| delivered / sent | ${figures.steadyDelivered} / ${figures.steadySent} |`,
      `| delivered per second (steady) | ${figures.deliveredPerSecond} |`,
      `| lag insert → receipt p50 (ms) | ${figures.lagP50Ms} |`,
      `| lag insert → receipt p99 (ms) | ${figures.lagP99Ms} |`,
      `| lag max (ms) | ${figures.lagMaxMs} |`,
      `| burst of ${figures.burst}: events/s delivered | ${figures.burstEventsPerSecond} |`,
    ].join('\n');
    mkdirSync(options.resultsDir, { recursive: true });
    writeFileSync(join(options.resultsDir, 'webhooks.json'), `${JSON.stringify({ at: new Date().toISOString(), ...figures }, null, 2)}\n`);
    writeFileSync(join(options.resultsDir, 'webhooks.md'), `${md}\n`);
    process.stdout.write(`\n${md}\n\n`);
    return figures;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

/** Alone: `pnpm tsx scripts/bench/webhooks.ts` (what `pnpm bench` runs after its HTTP scenarios). */
if (require.main === module) {
  runWebhookBenchmark({
    dataDir: join(REPO_ROOT, '.data', 'bench'),
    resultsDir: process.env.BENCH_RESULTS_DIR || join(REPO_ROOT, 'bench-results'),
    short: false,
    log: (line) => process.stdout.write(`bench | ${line}\n`),
  }).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`bench webhooks failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
