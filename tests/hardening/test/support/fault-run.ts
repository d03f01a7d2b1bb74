import { setTimeout as delay } from 'node:timers/promises';
import { SCOPED_AUTH_VALIDATE_PATH, type ErrorCode } from '@webchat/contracts';
import { browserHeaders } from '@webchat/test-harness';
import { call } from '@webchat/test-harness';
import type { RawRequest } from '@webchat/test-harness';
import { send } from './client';
import { runLoad, sendOne, tally, type LoadRequest, type LoadResult } from './load';
import { ANSWER_DEADLINE_MS, settings } from './mode';
import { CHANNELS, REFRESH, TOKEN, guestHeaders, type Stack } from './stack';

/** The only refusals a dependency fault may cause (DESIGN.md; the internal client's mapping). */
export const FAULT_CODES: ReadonlySet<ErrorCode> = new Set(['upstream_error', 'upstream_unavailable', 'upstream_timeout', 'store_unavailable']);

export type Kind = 'mint' | 'refresh' | 'create' | 'read';
const KINDS: Kind[] = ['mint', 'refresh', 'create', 'read'];
const SUCCESS: Record<Kind, number> = { mint: 200, refresh: 200, create: 201, read: 200 };

export interface Traffic {
  deploymentKey: string;
  token: string;
  conversationSid: string;
  headers: Record<string, string>;
}

/** A guest's token and conversation, made while the system is healthy, for the load to use. */
export async function prepareTraffic(stack: Stack, deploymentKey: string, headers = browserHeaders()): Promise<Traffic> {
  const { token } = await stack.mint(deploymentKey, headers);
  const conversationSid = await stack.createChannel(token, guestHeaders(token, headers));
  return { deploymentKey, token, conversationSid, headers };
}

export function requestFor(kind: Kind, traffic: Traffic): RawRequest {
  const json = { 'content-type': 'application/json' };
  const guest = { ...traffic.headers, authorization: `Bearer ${traffic.token}` };
  switch (kind) {
    case 'mint':
      return { method: 'POST', path: TOKEN, body: JSON.stringify({ deploymentKey: traffic.deploymentKey }), headers: { ...traffic.headers, ...json } };
    case 'refresh':
      return { method: 'POST', path: REFRESH, body: JSON.stringify({ deploymentKey: traffic.deploymentKey, token: traffic.token }), headers: { ...traffic.headers, ...json } };
    case 'create':
      return { method: 'POST', path: CHANNELS, body: '{}', headers: { ...guest, ...json } };
    case 'read':
      return { path: `${CHANNELS}/${traffic.conversationSid}/Messages`, headers: guest };
  }
}

export const mixedTraffic = (traffic: Traffic) => (worker: number, sequence: number): LoadRequest => {
  const kind = KINDS[(worker + sequence) % KINDS.length]!;
  return { kind, request: requestFor(kind, traffic) };
};

export interface FaultOutcome {
  results: LoadResult[];
  tally: Record<string, number>;
  /** Tokens handed out in 200 answers during the load. */
  delivered: string[];
  conversationsCreated: number;
}

/**
 * Runs the mixed load for the mode's duration; the fault is injected a quarter in and removed at
 * 70% (and awaited). Returns every answer, to be judged by `judgeFault`.
 */
export async function underLoad(stack: Stack, traffic: Traffic, fault: { inject(): Promise<void>; remove(): Promise<void> }): Promise<FaultOutcome> {
  const { workers, durationMs } = settings.faultLoad;
  const started = performance.now();
  const load = runLoad(stack.edge.port, { workers, durationMs, next: mixedTraffic(traffic) });
  await delay(durationMs * 0.25);
  await fault.inject();
  // One request of each kind while the fault is on, whatever the workers happen to be sending then: with a
  // short window and few workers, a kind (and the refusal it gets) could otherwise miss the fault entirely.
  const probes = Promise.all(KINDS.map((kind) => sendOne(stack.edge.port, { kind, request: requestFor(kind, traffic) }, started)));
  await delay(durationMs * 0.45);
  const removed = fault.remove();
  const results = [...(await load), ...(await probes)];
  await removed;
  const delivered = results.flatMap((r) => (r.status === 200 && (r.kind === 'mint' || r.kind === 'refresh') ? [JSON.parse(r.text ?? '{}').token as string] : []));
  return { results, tally: tally(results), delivered, conversationsCreated: results.filter((r) => r.kind === 'create' && r.status === 201).length };
}

/** Every request answered in time, with success or a documented fault problem that carries no token. */
export function judgeAnswers(outcome: FaultOutcome, mustSee: ErrorCode[]): void {
  const { results } = outcome;
  expect(results.length).toBeGreaterThan(0);
  const unanswered = results.filter((r) => r.error !== undefined);
  expect({ unanswered: unanswered.map((r) => `${r.kind} at ${Math.round(r.at)} ms: ${r.error}`), tally: outcome.tally }).toEqual({ unanswered: [], tally: outcome.tally });
  const slow = results.filter((r) => r.ms >= ANSWER_DEADLINE_MS);
  expect(slow.map((r) => `${r.kind} took ${Math.round(r.ms)} ms`)).toEqual([]);
  const wrong = results.filter((r) => r.status !== SUCCESS[r.kind as Kind] && !(r.code && FAULT_CODES.has(r.code)));
  expect({ wrong: wrong.map((r) => `${r.kind} ${r.status} ${r.code ?? ''} ${r.text?.slice(0, 120)}`), tally: outcome.tally }).toEqual({ wrong: [], tally: outcome.tally });
  const tokenInRefusal = results.filter((r) => r.status !== 200 && /"token"\s*:|eyJ[A-Za-z0-9_-]{10,}\./.test(r.text ?? ''));
  expect(tokenInRefusal.length).toBe(0);
  const seen = new Set(results.map((r) => r.code));
  for (const code of mustSee) expect({ code, seen: seen.has(code), tally: outcome.tally }).toEqual({ code, seen: true, tally: outcome.tally });
}

/**
 * Polls until every kind of request succeeds again (no restart of anything), within `timeoutMs`.
 * Returns how long it took and what the polling itself created and handed out, for the accounting.
 */
export async function expectRecovery(stack: Stack, traffic: Traffic, timeoutMs = 20_000): Promise<{ ms: number; created: number; tokens: string[] }> {
  const started = Date.now();
  let created = 0;
  const tokens: string[] = [];
  let last = '';
  for (;;) {
    const answers = await Promise.all(KINDS.map(async (kind) => [kind, await send(stack.edge.port, requestFor(kind, traffic))] as const));
    for (const [kind, response] of answers) {
      if (kind === 'create' && response.status === 201) created += 1;
      if ((kind === 'mint' || kind === 'refresh') && response.status === 200) tokens.push(response.json<{ token: string }>().token);
    }
    if (answers.every(([kind, response]) => response.status === SUCCESS[kind])) return { ms: Date.now() - started, created, tokens };
    last = answers.map(([kind, response]) => `${kind} ${response.status}`).join(', ');
    if (Date.now() - started > timeoutMs) throw new Error(`not recovered within ${timeoutMs} ms: ${last}`);
    await delay(100);
  }
}

/** Tokens handed out during the fault are genuine: scoped-auth validates each (as the orchestrator). */
export async function expectGenuine(stack: Stack, tokens: string[], validateUrl: string, acceptable: Array<number | string> = [200]): Promise<void> {
  for (const token of tokens) {
    stack.watch.add('token', token);
    const reply = await call(`${validateUrl}${SCOPED_AUTH_VALIDATE_PATH}`, {
      json: { token },
      headers: { authorization: `Bearer ${stack.system.identities.token('orchestrator', 'scoped-auth')}` },
    });
    expect(acceptable).toContain(reply.status === 200 ? 200 : reply.body.code);
  }
}

export { SUCCESS };
