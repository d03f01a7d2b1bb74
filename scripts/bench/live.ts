/**
 * `pnpm bench:live` (also the second half of `pnpm bench`): live delivery figures, printed, never asserted.
 *   1. Held streams: BENCH_LIVE_STREAMS (2000) guest streams held on one orchestrator: its RSS per stream, and its
 *      CPU while they are idle (heartbeats only) over BENCH_LIVE_REST_SECONDS (10).
 *   2. Delivery latency: agents POST at BENCH_LIVE_RATE (200) messages/s for BENCH_LIVE_SECONDS (10) through a
 *      second orchestrator process; guests' streams are held by the first. Time from the POST being sent to the
 *      guest's receipt of the event: p50 / p99.
 * Writes bench-results/live.json and live.md. Uses the production-mode system of `pnpm bench` (scripts/bench/system.ts).
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getFreePort, waitForHttp } from '@webchat/testkit';
import { REPO_ROOT } from '../local/config';
import { admin } from '../local/database';
import { processCpuMicros } from './proc-cpu';
import { claimDataDir, startSystem } from './system';

const env = process.env;
const STREAMS = Number(env.BENCH_LIVE_STREAMS || 2000);
const REST_SECONDS = Number(env.BENCH_LIVE_REST_SECONDS || 10);
const RATE = Number(env.BENCH_LIVE_RATE || 200);
const POST_SOCKETS = Number(env.BENCH_LIVE_SOCKETS || 256);
const SECONDS = Number(env.BENCH_LIVE_SECONDS || 10);
const say = (line: string) => process.stdout.write(`bench:live | ${line}\n`);

const rssKb = (pid: number) => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
const agent = new http.Agent({ keepAlive: true, maxSockets: POST_SOCKETS });

function request(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const payload = init.body === undefined ? undefined : JSON.stringify(init.body);
    const req = http.request(url, { method: init.method ?? 'GET', agent, headers: { ...init.headers, ...(payload ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** One guest stream on its own socket; calls `onEvent` with each event's envelope. */
function holdStream(url: string, headers: Record<string, string>, onEvent: (envelope: any) => void): Promise<http.ClientRequest> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { ...headers, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const data = /^data: (.*)$/m.exec(buffer.slice(0, cut))?.[1];
          buffer = buffer.slice(cut + 2);
          if (data) onEvent(JSON.parse(data));
        }
      });
      resolve(req);
    });
    req.on('error', () => undefined);
  });
}

async function pool<T>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  }));
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

async function main(): Promise<void> {
  const dataDir = join(REPO_ROOT, '.data', 'bench-live');
  const release = claimDataDir(dataDir, say);
  say('starting the system in production mode');
  const system = await startSystem({ dataDir, logLevel: 'warn', serviceNodeArgs: [], log: say });
  const orchestratorA = system.processes().find((p) => p.name === 'orchestrator')!;
  const portB = await getFreePort();
  // The second replica only takes agent writes (no token services needed): development mode fills its keys.
  const replicaB = spawn(process.execPath, ['--import', 'tsx', join('src', 'start.ts')], {
    cwd: join(REPO_ROOT, 'services/orchestrator'),
    env: { PATH: env.PATH ?? '', NODE_ENV: 'development', PORT: String(portB), LOG_LEVEL: 'warn', DATABASE_URL: system.databaseUrl, AGENT_RATE_LIMIT: '100000' },
    stdio: 'ignore',
  });
  const urlA = system.orchestratorUrl;
  const urlB = `http://127.0.0.1:${portB}`;
  try {
    await waitForHttp(`${urlB}/readyz`, { timeoutMs: 60_000 });
    const account = system.flagOff;
    const agentKey = JSON.parse(await admin(['agents', 'add', account.accountSid, '--name', 'Bench agent', '--json'], system.databaseUrl)).key as string;

    say(`minting ${STREAMS} guests and their conversations`);
    const guests: Array<{ token: string; conversationSid: string }> = new Array(STREAMS);
    const browser = { origin: system.origin, 'user-agent': 'bench-live', 'accept-language': 'en' };
    await pool([...Array(STREAMS).keys()], 32, async (i) => {
      const minted = await request(`${urlA}/v2/Webchat/Token`, { method: 'POST', headers: browser, body: { deploymentKey: account.deploymentKey } });
      const created = await request(`${urlA}/v2/WebChannels`, { method: 'POST', headers: { ...browser, authorization: `Bearer ${minted.body.token}` }, body: {} });
      if (created.status !== 201) throw new Error(`creating a conversation answered ${created.status}`);
      guests[i] = { token: minted.body.token, conversationSid: created.body.conversationSid };
    });

    const pending = new Map<string, number>();
    const latencies: number[] = [];
    /** POST sent -> 201 received: how much of the delivery time is the write itself. */
    const postTimes: number[] = [];
    const rssBefore = rssKb(orchestratorA.pid);
    say(`opening ${STREAMS} guest streams on orchestrator A (RSS before: ${(rssBefore / 1024).toFixed(1)} MiB)`);
    const streams: http.ClientRequest[] = [];
    await pool(guests, 32, async (guest) => {
      streams.push(
        await holdStream(`${urlA}/v2/WebChannels/${guest.conversationSid}/Events`, { ...browser, authorization: `Bearer ${guest.token}` }, (envelope) => {
          const sent = pending.get(envelope.data?.body);
          if (sent !== undefined) {
            latencies.push(performance.now() - sent);
            pending.delete(envelope.data.body);
          }
        }),
      );
    });
    await new Promise((r) => setTimeout(r, 3000));
    const rssHeld = rssKb(orchestratorA.pid);
    const cpuBefore = processCpuMicros(orchestratorA.pid) ?? 0;
    await new Promise((r) => setTimeout(r, REST_SECONDS * 1000));
    const cpuRest = ((processCpuMicros(orchestratorA.pid) ?? 0) - cpuBefore) / (REST_SECONDS * 10_000);
    const perStreamKb = (rssHeld - rssBefore) / STREAMS;
    say(`held: RSS ${(rssHeld / 1024).toFixed(1)} MiB, ${perStreamKb.toFixed(1)} KiB per stream; CPU at rest ${cpuRest.toFixed(2)} % of one core`);

    say(`agents post ${RATE} messages/s for ${SECONDS} s through orchestrator B; guests' streams are on A`);
    const total = RATE * SECONDS;
    let failed = 0;
    const started = performance.now();
    const posts: Array<Promise<void>> = [];
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const guest = guests[i % guests.length]!;
      const body = `bench ${i}`;
      const sentAt = performance.now();
      pending.set(body, sentAt);
      posts.push(
        request(`${urlB}/v2/Conversations/${guest.conversationSid}/Messages`, { method: 'POST', headers: { authorization: `Bearer ${agentKey}` }, body: { body } }).then((r) => {
          postTimes.push(performance.now() - sentAt);
          if (r.status !== 201) failed += 1;
        }),
      );
    }
    await Promise.all(posts);
    const deadline = Date.now() + 10_000;
    while (pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const sorted = [...latencies].sort((a, b) => a - b);
    const postSorted = [...postTimes].sort((a, b) => a - b);
    const loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const figures = {
      at: new Date().toISOString(),
      streams: STREAMS,
      rssBeforeMiB: rssBefore / 1024,
      rssHeldMiB: rssHeld / 1024,
      rssPerStreamKiB: perStreamKb,
      cpuAtRestPercentOfCore: cpuRest,
      messages: total,
      ratePerSecond: RATE,
      failedPosts: failed,
      delivered: latencies.length,
      lost: pending.size,
      latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? Number.NaN },
      postMs: { p50: percentile(postSorted, 50), p99: percentile(postSorted, 99) },
      loadAverage,
    };
    say(`POST answered: p50 ${figures.postMs.p50.toFixed(1)} ms, p99 ${figures.postMs.p99.toFixed(1)} ms; load average ${loadAverage}`);
    say(`delivery: ${figures.delivered}/${total} delivered, ${failed} failed posts; p50 ${figures.latencyMs.p50.toFixed(1)} ms, p99 ${figures.latencyMs.p99.toFixed(1)} ms, max ${figures.latencyMs.max.toFixed(1)} ms`);
    const resultsDir = join(REPO_ROOT, 'bench-results');
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(join(resultsDir, 'live.json'), `${JSON.stringify(figures, null, 2)}\n`);
    writeFileSync(
      join(resultsDir, 'live.md'),
      [
        `# Live delivery (${figures.at})`,
        '',
        '| figure | value |',
        '| --- | --- |',
        `| guest streams held on one orchestrator | ${STREAMS} |`,
        `| RSS before / with the streams | ${figures.rssBeforeMiB.toFixed(1)} MiB / ${figures.rssHeldMiB.toFixed(1)} MiB |`,
        `| RSS per held stream | ${perStreamKb.toFixed(1)} KiB |`,
        `| CPU at rest with the streams held (${REST_SECONDS} s) | ${cpuRest.toFixed(2)} % of one core |`,
        `| agent messages, through the other orchestrator | ${total} at ${RATE}/s, ${failed} failed |`,
        `| delivered to the guest stream | ${figures.delivered} (${figures.lost} not within 10 s) |`,
        `| latency POST sent → event received, p50 / p99 / max | ${figures.latencyMs.p50.toFixed(1)} / ${figures.latencyMs.p99.toFixed(1)} / ${figures.latencyMs.max.toFixed(1)} ms |`,
        `| of which POST sent → 201, p50 / p99 | ${figures.postMs.p50.toFixed(1)} / ${figures.postMs.p99.toFixed(1)} ms |`,
        `| machine load average (1/5/15 min) at the end | ${loadAverage} |`,
        '',
      ].join('\n'),
    );
    for (const stream of streams) stream.destroy();
  } finally {
    replicaB.kill('SIGTERM');
    agent.destroy();
    await system.stop();
    release();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:live failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
