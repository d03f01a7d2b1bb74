import type { Request, RequestHandler } from 'express';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  counter<L extends string>(name: string, help: string, labelNames?: readonly L[]): Counter<L>;
  /** For apps that count in their own `finish` listener (createServiceApp); the same series as `middleware`. */
  record(method: string, route: string, status: number, seconds: number): void;
  middleware: RequestHandler;
}

/** The matched route pattern, never the raw path: raw paths carry SIDs and would explode cardinality. */
export const matchedRoute = (req: Request): string => (req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched');

/** A registry per app (not prom-client's global one), so several apps can live in one test process. */
export function createMetrics(service: string, { defaultMetrics = true } = {}): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (defaultMetrics) collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const record = (method: string, route: string, status: number, seconds: number) => {
    const labels = { method, route, status: String(status) };
    requests.inc(labels);
    duration.observe(labels, seconds);
  };
  const middleware: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => record(req.method, matchedRoute(req), res.statusCode, Number(process.hrtime.bigint() - started) / 1e9));
    next();
  };
  return {
    registry,
    middleware,
    record,
    // Get-or-create: routes that count the same thing (minting and refreshing a token) share one series.
    counter: (name, help, labelNames) =>
      (registry.getSingleMetric(name) as Counter<never> | undefined) ?? new Counter({ name, help, labelNames: labelNames ?? [], registers: [registry] }),
  };
}
