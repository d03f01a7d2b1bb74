import { withClient } from '@webchat/local-infra';

/** The orchestrator's counters the benchmark reads, from its Prometheus /metrics. */
export interface OrchestratorCounters {
  storeQueries: number;
  tokensBound: number;
  tokensUnbound: number;
  conversationsCreated: number;
  cacheHits: number;
  cacheMisses: number;
  cacheBypasses: number;
}

/** Sum of every sample of `name` whose labels include all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    const labelText = line[name.length] === '{' ? line.slice(name.length + 1, line.indexOf('}')) : '';
    if (!Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

export async function readOrchestratorCounters(orchestratorUrl: string): Promise<OrchestratorCounters> {
  const response = await fetch(`${orchestratorUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`orchestrator /metrics answered ${response.status}`);
  const text = await response.text();
  return {
    storeQueries: sample(text, 'store_queries_total'),
    tokensBound: sample(text, 'webchat_tokens_issued_total', { fingerprint_bound: 'true' }),
    tokensUnbound: sample(text, 'webchat_tokens_issued_total', { fingerprint_bound: 'false' }),
    conversationsCreated: sample(text, 'webchat_conversations_created_total'),
    cacheHits: sample(text, 'account_cache_lookups_total', { result: 'hit' }),
    cacheMisses: sample(text, 'account_cache_lookups_total', { result: 'miss' }),
    cacheBypasses: sample(text, 'account_cache_lookups_total', { result: 'bypass' }),
  };
}

export function countersBetween(before: OrchestratorCounters, after: OrchestratorCounters): OrchestratorCounters {
  const delta = {} as OrchestratorCounters;
  for (const key of Object.keys(after) as Array<keyof OrchestratorCounters>) delta[key] = after[key] - before[key];
  return delta;
}

/**
 * Statements the server executed in the webchat database (pg_stat_statements, preloaded by the
 * private cluster): a cross-check of the orchestrator's own counter that also sees BEGIN/COMMIT and
 * anything a library sends behind the repositories' back. This probe's own statement is excluded.
 */
export async function statementCalls(databaseUrl: string): Promise<number> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ calls: string }>(
      `SELECT coalesce(sum(s.calls), 0)::text AS calls
         FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname = current_database() AND s.query NOT ILIKE '%pg_stat_statements%'`,
    );
    return Number(rows[0]?.calls ?? 0);
  });
}
