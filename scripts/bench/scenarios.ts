import { WEB_CHANNELS_PATH, WEBCHAT_TOKEN_PATH } from '@webchat/contracts';
import { demoClientHeaders } from '../local/starship';
import type { LoadSpec } from './load';
import type { RoleProcesses } from './proc-cpu';
import type { OrchestratorCounters } from './probes';
import type { BenchSystem } from './system';

export const SCENARIO_IDS = ['bare-raw', 'bare-express', 'echo', 'token-flag-off', 'token-flag-on', 'webchannels'] as const;
/** The scenario every other is compared with (issue 17): bare Express + express.json() + axios. */
export const BARE_SCENARIO: ScenarioId = 'bare-express';
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export interface Scenario {
  id: ScenarioId;
  title: string;
  /** What hop 1..3 are in this scenario (the processes CPU is charged to). */
  hops: [string, string, string];
  load: LoadSpec;
  roles: RoleProcesses;
  /** A reason when the orchestrator's counters show the scenario did not take the path it names. */
  check(delta: OrchestratorCounters, ok: number, slack: number): string | undefined;
}

/** A browser's request as the widget sends it: Origin, UA, Accept-Language and the three security signals. */
export function guestHeaders(origin: string): Record<string, string> {
  return {
    ...demoClientHeaders(origin),
    'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
    'accept-language': 'en-GB,en;q=0.9',
  };
}

export const WEB_CHANNEL_BODY = JSON.stringify({ customerFriendlyName: 'Benchmark guest', preEngagementData: { question: 'Where is my order?' } });

/**
 * `tokens`: guest tokens minted beforehand for the flag-on account with the same headers (they are
 * bound to this client's fingerprint); each connection uses one, and a token creates many conversations.
 */
export function buildScenarios(system: BenchSystem, headers: Record<string, string>, tokens: string[]): Scenario[] {
  const tokenBody = (key: string) => JSON.stringify({ deploymentKey: key });
  const between = (value: number, ok: number, slack: number) => value >= ok && value <= ok + slack;
  const untouched = (delta: OrchestratorCounters) =>
    delta.tokensBound + delta.tokensUnbound + delta.storeQueries > 0 ? 'a reference chain reached the orchestrator' : undefined;
  return [
    {
      id: 'bare-raw',
      title: 'reference: raw node:http hops, no framework',
      hops: ['raw-1', 'raw-2', 'raw-3'],
      load: { url: `${system.references.raw.edgeUrl}${WEBCHAT_TOKEN_PATH}`, method: 'POST', headers, body: tokenBody(system.flagOff.deploymentKey) },
      roles: system.references.raw.roles,
      check: untouched,
    },
    {
      id: 'bare-express',
      title: 'reference: bare Express 5 + express.json() + axios',
      hops: ['express-1', 'express-2', 'express-3'],
      load: { url: `${system.references.express.edgeUrl}${WEBCHAT_TOKEN_PATH}`, method: 'POST', headers, body: tokenBody(system.flagOff.deploymentKey) },
      roles: system.references.express.roles,
      check: untouched,
    },
    {
      id: 'echo',
      title: 'echo chain (our plumbing, no work)',
      hops: ['echo-1', 'echo-2', 'echo-3'],
      load: { url: `${system.echoEdgeUrl}${WEBCHAT_TOKEN_PATH}`, method: 'POST', headers, body: tokenBody(system.flagOff.deploymentKey) },
      roles: system.echoRoles,
      check: (delta) => (delta.tokensBound + delta.tokensUnbound + delta.storeQueries > 0 ? 'the echo chain reached the orchestrator' : undefined),
    },
    {
      id: 'token-flag-off',
      title: 'POST /v2/Webchat/Token, flag off',
      hops: ['orchestrator', 'federated-auth', 'scoped-auth'],
      load: { url: `${system.edgeUrl}${WEBCHAT_TOKEN_PATH}`, method: 'POST', headers, body: tokenBody(system.flagOff.deploymentKey) },
      roles: system.tokenRoles,
      check: (delta, ok, slack) =>
        delta.tokensBound > 0 || !between(delta.tokensUnbound, ok, slack)
          ? `expected ${ok} unbound tokens, the orchestrator issued ${delta.tokensUnbound} unbound and ${delta.tokensBound} bound`
          : undefined,
    },
    {
      id: 'token-flag-on',
      title: 'POST /v2/Webchat/Token, flag on, fingerprint (high)',
      hops: ['orchestrator', 'federated-auth', 'scoped-auth'],
      load: { url: `${system.edgeUrl}${WEBCHAT_TOKEN_PATH}`, method: 'POST', headers, body: tokenBody(system.flagOn.deploymentKey) },
      roles: system.tokenRoles,
      check: (delta, ok, slack) =>
        delta.tokensUnbound > 0 || !between(delta.tokensBound, ok, slack)
          ? `expected ${ok} fingerprint-bound tokens, the orchestrator issued ${delta.tokensBound} bound and ${delta.tokensUnbound} unbound`
          : undefined,
    },
    {
      id: 'webchannels',
      title: 'POST /v2/WebChannels (bound token)',
      hops: ['orchestrator', '(federated-auth, idle)', 'scoped-auth'],
      load: {
        url: `${system.edgeUrl}${WEB_CHANNELS_PATH}`,
        method: 'POST',
        headers,
        body: WEB_CHANNEL_BODY,
        headersFor: (connection) => ({ ...headers, authorization: `Bearer ${tokens[connection % tokens.length]}` }),
      },
      roles: system.tokenRoles,
      check: (delta, ok, slack) =>
        !between(delta.conversationsCreated, ok, slack) ? `expected ${ok} conversations, the orchestrator created ${delta.conversationsCreated}` : undefined,
    },
  ];
}

/** Guest tokens for the WebChannels scenario, through Starship like the widget gets them. */
export async function mintTokenPool(system: BenchSystem, headers: Record<string, string>, count: number): Promise<string[]> {
  const mintOne = async (): Promise<string> => {
    const response = await fetch(`${system.edgeUrl}${WEBCHAT_TOKEN_PATH}`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ deploymentKey: system.flagOn.deploymentKey }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as { token?: string };
    if (response.status !== 200 || typeof body.token !== 'string') throw new Error(`minting a pool token gave HTTP ${response.status}: ${JSON.stringify(body)}`);
    return body.token;
  };
  const tokens: string[] = [];
  while (tokens.length < count) tokens.push(...(await Promise.all(Array.from({ length: Math.min(10, count - tokens.length) }, mintOne))));
  return tokens;
}
