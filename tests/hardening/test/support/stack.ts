import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WEBCHAT_REFRESH_PATH, WEBCHAT_TOKEN_PATH, WEB_CHANNELS_PATH } from '@webchat/contracts';
import { browserHeaders, startSystem, type SystemOptions, type SystemUnderTest } from '@webchat/test-harness';
import { startEdge, type EdgeOptions, type EdgeUnderTest } from '@webchat/test-harness';
import { send } from './client';
import { SecretWatch, watchSignals, type LogLine } from '@webchat/test-harness';

export const TOKEN = WEBCHAT_TOKEN_PATH;
export const REFRESH = WEBCHAT_REFRESH_PATH;
export const CHANNELS = WEB_CHANNELS_PATH;

/** The tables a public request could write to. */
export const TABLES = ['accounts', 'deployment_keys', 'account_configurations', 'conversations', 'messages'] as const;
export type RowCounts = Record<(typeof TABLES)[number], number>;

export interface StackOptions extends SystemOptions {
  /** Starship render options; the default rate limit is lifted (one test IP sends everything). */
  edge?: Omit<EdgeOptions, 'orchestratorUpstream'>;
}

export interface Stack {
  system: SystemUnderTest;
  edge: EdgeUnderTest;
  /** Every secret the tests saw; scanned for in every log at the end of a file. */
  watch: SecretWatch;
  /** Extra log sources (services a test hosts itself), by name. */
  extraLogs: Map<string, () => string[]>;
  rowCounts(): Promise<RowCounts>;
  logLines(): LogLine[];
  /** A token through the edge, with the widget's headers unless told otherwise. */
  mint(deploymentKey: string, headers?: Record<string, string>): Promise<{ token: string; identity: string }>;
  /** A conversation through the edge for `token`. */
  createChannel(token: string, headers?: Record<string, string>): Promise<string>;
  stop(): Promise<void>;
}

/** Bearer and the widget's browser headers, as the widget sends them on WebChannels calls. */
export const guestHeaders = (token: string, extra: Record<string, string> = {}) => ({ ...browserHeaders(), authorization: `Bearer ${token}`, ...extra });

/** Registers every token in a response body with the watch (bodies are JSON or problem+json). */
export function noteTokens(watch: SecretWatch, text: string): void {
  for (const match of text.matchAll(/"token"\s*:\s*"([^"]+)"/g)) watch.add('token', match[1]);
}

/** The real system (private Postgres, three services) behind real nginx (Starship), all on free ports. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const { edge: edgeOptions, ...systemOptions } = options;
  const system = await startSystem(systemOptions);
  let edge: EdgeUnderTest;
  try {
    edge = await startEdge({ tokenRate: '10000r/s', tokenBurst: 10_000, tokenUseRate: '10000r/s', tokenUseBurst: 10_000, ...edgeOptions, orchestratorUpstream: new URL(system.orchestratorUrl).host });
  } catch (error) {
    await system.stop();
    throw error;
  }
  const watch = new SecretWatch();
  watchSignals(watch, browserHeaders());
  for (const name of ['orchestrator', 'federated-auth', 'scoped-auth'] as const) {
    watch.add('key material', system.identities.privateKeys[name].export({ type: 'pkcs8', format: 'der' }).toString('base64'));
  }
  const { material } = system.scopedAuth;
  for (const key of material.encryption) watch.add('key material', key.secret.toString('base64url'), key.secret.toString('base64'));
  for (const key of material.signing) watch.add('key material', key.privateKey?.export({ type: 'pkcs8', format: 'der' }).toString('base64'));
  const extraLogs = new Map<string, () => string[]>();
  const edgeLog = (name: string) => {
    try {
      return readFileSync(join(edge.prefixDir, 'logs', name), 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };

  const stack: Stack = {
    system,
    edge,
    watch,
    extraLogs,
    async rowCounts() {
      const selects = TABLES.map((table) => `(SELECT count(*)::int FROM ${table}) AS ${table}`).join(', ');
      const { rows } = await system.db.query<RowCounts>(`SELECT ${selects}`);
      return rows[0]!;
    },
    logLines() {
      const lines: LogLine[] = [];
      const add = (source: string, list: string[]) => list.forEach((line) => lines.push({ source, line }));
      add('orchestrator', system.logs.orchestrator());
      add('federated-auth', system.logs.federatedAuth());
      add('scoped-auth', system.logs.scopedAuth());
      for (const [name, read] of extraLogs) add(name, read());
      add('starship access.log', edgeLog('access.log'));
      add('starship error.log', edgeLog('error.log'));
      return lines;
    },
    async mint(deploymentKey, headers = browserHeaders()) {
      const response = await send(edge.port, {
        method: 'POST',
        path: TOKEN,
        body: JSON.stringify({ deploymentKey }),
        headers: { 'content-type': 'application/json', ...headers },
      });
      if (response.status !== 200) throw new Error(`minting through the edge answered ${response.status}: ${response.text}`);
      const body = response.json<{ token: string; identity: string }>();
      watch.add('token', body.token);
      return body;
    },
    async createChannel(token, headers = guestHeaders(token)) {
      const response = await send(edge.port, { method: 'POST', path: CHANNELS, body: '{}', headers: { 'content-type': 'application/json', ...headers } });
      if (response.status !== 201) throw new Error(`creating a WebChannel answered ${response.status}: ${response.text}`);
      return response.json<{ conversationSid: string }>().conversationSid;
    },
    async stop() {
      await edge.stop();
      await system.stop();
    },
  };
  const createAccount = system.createAccount.bind(system);
  system.createAccount = async (settings) => {
    const account = await createAccount(settings);
    watch.add('deployment key', account.deploymentKey);
    return account;
  };
  return stack;
}
