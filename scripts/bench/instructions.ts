/**
 * `pnpm bench:instructions`: instructions per request of one forwarding hop, counted by valgrind's
 * callgrind, for before/after comparisons of the plumbing (issue 17). Wall-clock and even CPU-time
 * figures move with whatever else runs on a shared machine; an instruction count does not (it moves
 * only with the code and, a little, with V8's JIT decisions), so it is what a change is judged by.
 *
 * The measured hop is the middle one (it verifies a caller's service token and calls the next hop,
 * like federated-auth), started under callgrind with instrumentation off; the last hop runs natively.
 * After a warm-up, counting is switched on (callgrind_control), N requests are sent one at a time,
 * and the counts are dumped: Ir / N. Environment:
 *   INSTR_HOPS      comma list of echo (our plumbing), express (bare Express + axios), raw (default all three)
 *   INSTR_REQUESTS  counted requests (default 400)
 *   INSTR_WARMUP    requests before counting (default 1500: past V8's optimising tiers)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCOPED_AUTH_GENERATE_PATH, federatedTokensPath } from '@webchat/contracts';
import { getFreePort, waitForHttp } from '@webchat/testkit';
import { ServiceTokenSigner, parsePrivateKey, privateKeyFile } from '../../libs/service-auth/src';
import { REPO_ROOT } from '../local/config';
import { ensureDevKeys } from './production-env';

type Hop = 'echo' | 'express' | 'raw';
const HOPS: readonly Hop[] = ['echo', 'express', 'raw'];

const tsx = require.resolve('tsx', { paths: [REPO_ROOT] });
const started: ChildProcess[] = [];

function hopCommand(hop: Hop, port: number, nextPort: number | undefined, keysDir: string, middle: boolean): { entry: string; env: NodeJS.ProcessEnv } {
  const base = { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(port) };
  if (hop === 'echo') {
    return {
      entry: join('scripts', 'bench', 'echo-service.ts'),
      env: { ...base, SERVICE_KEYS_DIR: keysDir, ECHO_TIMEOUT_MS: '120000', ECHO_ROLE: middle ? 'federated-auth' : 'scoped-auth', ...(nextPort ? { ECHO_NEXT_URL: `http://127.0.0.1:${nextPort}` } : {}) },
    };
  }
  return {
    entry: join('scripts', 'bench', 'reference-hop.ts'),
    env: { ...base, REF_KIND: hop, ...(nextPort ? { REF_NEXT_URL: `http://127.0.0.1:${nextPort}`, REF_NEXT_PATH: 'scoped' } : {}) },
  };
}

function launch(command: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(command[0]!, command.slice(1), { cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString('utf8')).slice(-4000)));
  child.once('exit', (code) => {
    if (code !== 0 && code !== null && !stopping) process.stderr.write(`${command.slice(-1)[0]} exited ${code}:\n${errors}\n`);
  });
  started.push(child);
  return child;
}

let stopping = false;
function stopAll(): void {
  stopping = true;
  for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
}

/** Sends `count` requests one after another on one keep-alive connection; throws on a non-2xx. */
async function send(port: number, path: string, headersNow: () => Record<string, string>, count: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const body = JSON.stringify({ fingerprint: undefined });
  for (let index = 0; index < count; index += 1) {
    await new Promise<void>((done, fail) => {
      const request = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { ...headersNow(), 'content-type': 'application/json', 'content-length': String(body.length) } }, (response) => {
        response.resume();
        response.on('end', () => (response.statusCode && response.statusCode < 300 ? done() : fail(new Error(`HTTP ${response.statusCode}`))));
      });
      request.on('error', fail);
      request.end(body);
    });
  }
  agent.destroy();
}

/** The total Ir of a callgrind dump (its `summary:` or `totals:` line). */
function instructionsIn(dir: string): number {
  let total = 0;
  for (const file of readdirSync(dir).filter((name) => name.startsWith('callgrind.out'))) {
    const text = readFileSync(join(dir, file), 'utf8');
    const line = /^(?:summary|totals):\s+(\d+)/m.exec(text);
    if (line) total += Number(line[1]);
  }
  return total;
}

async function measure(hop: Hop, requests: number, warmup: number, keysDir: string): Promise<number> {
  const [lastPort, middlePort] = [await getFreePort(), await getFreePort()];
  const last = hopCommand(hop, lastPort, undefined, keysDir, false);
  launch([process.execPath, '--import', tsx, last.entry], last.env);
  const outDir = mkdtempSync(join(tmpdir(), `instr-${hop}-`));
  const middle = hopCommand(hop, middlePort, lastPort, keysDir, true);
  const valgrind = launch(
    ['valgrind', '--tool=callgrind', '--instr-atstart=no', '--dump-instr=no', `--callgrind-out-file=${join(outDir, 'callgrind.out.%p')}`, process.execPath, '--import', tsx, middle.entry],
    middle.env,
  );
  try {
    await waitForHttp(`http://127.0.0.1:${lastPort}/readyz`, { timeoutMs: 120_000 });
    await waitForHttp(`http://127.0.0.1:${middlePort}/readyz`, { timeoutMs: 900_000, intervalMs: 1000 });
    const signer = new ServiceTokenSigner({ issuer: 'orchestrator', privateKey: parsePrivateKey(readFileSync(privateKeyFile(keysDir, 'orchestrator'), 'utf8')) });
    // The signer re-signs before expiry: a run under valgrind outlasts one service token.
    const headers = (): Record<string, string> => (hop === 'echo' ? { authorization: `Bearer ${signer.tokenFor('federated-auth')}` } : {});
    const path = hop === 'echo' ? federatedTokensPath(`AC${'e'.repeat(32)}`) : SCOPED_AUTH_GENERATE_PATH;
    await send(middlePort, path, headers, warmup);
    execFileSync('callgrind_control', ['-i', 'on', String(valgrind.pid)], { stdio: 'ignore' });
    await send(middlePort, path, headers, requests);
    execFileSync('callgrind_control', ['-d', String(valgrind.pid)], { stdio: 'ignore' });
    const instructions = instructionsIn(outDir);
    if (!(instructions > 0)) throw new Error(`no callgrind counts in ${outDir}: ${readdirSync(outDir).join(', ')}`);
    return instructions / requests;
  } finally {
    stopAll();
    started.length = 0;
    stopping = false;
    if (process.env.INSTR_KEEP !== '1') rmSync(outDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const hops = (process.env.INSTR_HOPS || HOPS.join(',')).split(',').map((hop) => hop.trim()) as Hop[];
  const unknown = hops.filter((hop) => !HOPS.includes(hop));
  if (unknown.length > 0) throw new Error(`INSTR_HOPS: unknown ${unknown.join(', ')} (known: ${HOPS.join(', ')})`);
  const requests = Number(process.env.INSTR_REQUESTS || 400);
  const warmup = Number(process.env.INSTR_WARMUP || 1500);
  const keys = ensureDevKeys();
  const results: Record<string, number> = {};
  for (const hop of hops) {
    results[hop] = await measure(hop, requests, warmup, keys.serviceKeysDir);
    process.stdout.write(`${hop.padEnd(8)} ${Math.round(results[hop]!).toLocaleString('en').padStart(12)} instructions per request (middle hop, ${requests} counted after ${warmup})\n`);
  }
  if (results.express) {
    for (const hop of hops) process.stdout.write(`${hop.padEnd(8)} ${(results[hop]! / results.express).toFixed(2)}× the bare Express hop\n`);
  }
}

process.on('SIGINT', () => {
  stopAll();
  process.exit(130);
});
main().catch((error: unknown) => {
  stopAll();
  process.stderr.write(`bench:instructions failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
