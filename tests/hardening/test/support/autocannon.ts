import { createRequire } from 'node:module';

/*
 * autocannon (a root devDependency) ships no types. It is loaded through require with the slice of its
 * API the soak uses typed here, so this package depends on no ambient declaration elsewhere.
 */

export interface ChainRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: ChainRequest, context: Record<string, unknown>) => ChainRequest | undefined;
  onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => void;
}

export interface LoadOptions {
  url: string;
  connections: number;
  /** Seconds. */
  duration: number;
  /** Seconds to wait for one answer. */
  timeout: number;
  requests: ChainRequest[];
  overallRate?: number;
  /** Each connection is reopened after this many requests. */
  reconnectRate?: number;
}

interface Histogram {
  average: number;
  p50: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  requests: Histogram & { total: number; sent: number };
  latency: Histogram;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}

type Autocannon = (options: LoadOptions, done: (error: Error | null, result: LoadResult) => void) => unknown;

const autocannon = createRequire(__filename)('autocannon') as Autocannon;

export function runAutocannon(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}
