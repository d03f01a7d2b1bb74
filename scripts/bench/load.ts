import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  body?: string;
  /** Per connection (closed loop) or per request (open loop): e.g. one guest token from the pool each. */
  headersFor?: (connection: number) => Record<string, string>;
}

export interface LoadResult {
  seconds: number;
  /** Completed responses (2xx and non-2xx). */
  responses: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

let current: autocannon.Instance | undefined;

/** Stops the load in flight (Ctrl-C): autocannon then resolves with what it has. */
export function stopLoad(): void {
  current?.stop();
}

/** One bounded autocannon run (its programmatic API) at `connections` concurrent keep-alive connections. */
export function runLoad(spec: LoadSpec, connections: number, seconds: number): Promise<LoadResult> {
  let connection = 0;
  return new Promise((resolve, reject) => {
    current = autocannon(
      {
        url: spec.url,
        method: spec.method,
        connections,
        duration: seconds,
        timeout: 10,
        headers: spec.headers,
        ...(spec.body === undefined ? {} : { body: spec.body }),
        ...(spec.headersFor ? { setupClient: (client: autocannon.Client) => client.setHeaders(spec.headersFor!(connection++)) } : {}),
      },
      (error, result) => {
        current = undefined;
        if (error) {
          reject(error);
          return;
        }
        const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, Number(count)]));
        const ok = result['2xx'];
        resolve({
          seconds: result.duration,
          responses: ok + result.non2xx,
          ok,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCodes,
          latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.mean },
        });
      },
    );
  });
}
