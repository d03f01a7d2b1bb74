import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';

/** One step of a guest's chain: what to send, given what the earlier steps returned. */
export interface Step {
  name: string;
  build(context: Record<string, string>): { method: string; path: string; headers: Record<string, string>; body?: string };
  /** Keeps what later steps need (a token, a SID) from a successful answer. */
  keep?(body: string, context: Record<string, string>): void;
  /** The status that counts as success. */
  expect: number;
}

export interface PacedResult {
  sent: number;
  answered: number;
  /** Requests that got no answer (refused, reset, or none within the timeout). */
  errors: number;
  statusCodes: Record<string, number>;
  latencyP50Ms: number;
  latencyP99Ms: number;
  perSecond: number;
  /** The first few unexpected answers, for a failure message. */
  unexpected: string[];
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

/**
 * An open-loop load: a new chain starts every 1/rate seconds whatever the earlier ones are doing, as
 * independent guests arrive, over a pool of kept-alive connections (which honours `Connection: close`).
 * A closed loop at a fixed rate (autocannon's overallRate) fires each connection's quota at the start of
 * every second instead: bursts well above the mean rate.
 */
export async function pacedChains(options: {
  port: number;
  steps: Step[];
  requestsPerSecond: number;
  durationMs: number;
  maxSockets: number;
  timeoutMs?: number;
  onAnswer?(step: string, status: number, body: string): void;
}): Promise<PacedResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets, timeout: 5000 });
  const statusCodes: Record<string, number> = {};
  const latencies: number[] = [];
  const unexpected: string[] = [];
  let sent = 0;
  let errors = 0;

  const send = (request: ReturnType<Step['build']>) =>
    new Promise<{ status: number; body: string } | undefined>((resolve) => {
      sent += 1;
      const started = performance.now();
      const req = http.request({ host: '127.0.0.1', port: options.port, agent, ...request, timeout: options.timeoutMs ?? 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          latencies.push(performance.now() - started);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', () => resolve(undefined));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve(undefined));
      req.end(request.body);
    });

  const chain = async () => {
    const context: Record<string, string> = {};
    for (const step of options.steps) {
      const answer = await send(step.build(context));
      if (!answer) {
        errors += 1;
        return;
      }
      statusCodes[answer.status] = (statusCodes[answer.status] ?? 0) + 1;
      options.onAnswer?.(step.name, answer.status, answer.body);
      if (answer.status !== step.expect) {
        if (unexpected.length < 10) unexpected.push(`${step.name} ${answer.status} ${answer.body.slice(0, 160)}`);
        return; // the next steps would only fail for want of what this one should have returned
      }
      step.keep?.(answer.body, context);
    }
  };

  const interval = (1000 * options.steps.length) / options.requestsPerSecond;
  const started = performance.now();
  const running = new Set<Promise<void>>();
  for (let i = 0; ; i++) {
    const at = started + i * interval;
    if (at - started >= options.durationMs) break;
    const wait = at - performance.now();
    if (wait > 0) await delay(wait);
    const run: Promise<void> = chain().finally(() => running.delete(run));
    running.add(run);
  }
  await Promise.all(running);
  const elapsedS = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const answered = Object.values(statusCodes).reduce((a, b) => a + b, 0);
  return {
    sent,
    answered,
    errors,
    statusCodes,
    latencyP50Ms: Math.round(percentile(latencies, 0.5)),
    latencyP99Ms: Math.round(percentile(latencies, 0.99)),
    perSecond: Math.round(answered / elapsedS),
    unexpected,
  };
}
