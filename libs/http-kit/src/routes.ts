import type { Express, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { isServiceRoute, type CounterSpec, type RouteSpec } from '@webchat/contracts';
import { AppError } from '@webchat/errors';
import type { Logger } from '@webchat/logger';
import { requireCaller, type CallerVerifier } from './callers';
import type { Metrics } from './metrics';
import { parseWith } from './validate';

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;
type SuccessStatus<R extends RouteSpec> = Extract<keyof R['responses'], 200 | 201 | 202 | 204>;
/** What the handler returns: the body of the route's success response, as its schema accepts it. */
export type RouteReply<R extends RouteSpec> = {
  [S in SuccessStatus<R>]: R['responses'][S] extends { schema: infer T extends z.ZodType } ? z.input<T> : void;
}[SuccessStatus<R>];

type CounterOf<C> = C extends { labels: readonly (infer L extends string)[] } ? { inc(labels: Record<L, string>): void } : { inc(): void };
export type RouteCounters<R extends RouteSpec> =
  R['counters'] extends Record<string, CounterSpec> ? { [K in keyof R['counters']]: CounterOf<R['counters'][K]> } : Record<never, never>;

export interface RouteContext<R extends RouteSpec, G> {
  req: Request;
  res: Response;
  params: Parsed<R['params']>;
  query: Parsed<R['query']>;
  body: Parsed<R['body']>;
  /** The calling service, on routes whose callers are services. */
  caller: R['callers'] extends { services: readonly (infer S)[] } ? S : undefined;
  /** The authenticated guest, on guest routes (from the service's `guest` step). */
  guest: R['callers'] extends 'guest' ? G : undefined;
  count: RouteCounters<R>;
}

export type RouteHandler<R extends RouteSpec, G> = (context: RouteContext<R, G>) => Promise<RouteReply<R>> | RouteReply<R>;

export interface MountOptions {
  /** Where the body comes from when it needs folding first (form aliases); default `req.body`. */
  body?: (req: Request) => unknown;
}

/** A handler answering outside its contract: a 500 in development and test, a log line and a counter in production. */
export type ContractViolations = 'fail' | 'report';

export interface RouteLayerOptions<G> {
  logger: Logger;
  metrics: Metrics;
  contractViolations: ContractViolations;
  /** Verifies service JWTs for routes whose callers are services. */
  verifier?: CallerVerifier | undefined;
  /** Authenticates the guest of a guest route (and may set headers that depend on who it is). */
  guest?: ((req: Request, res: Response) => Promise<G>) | undefined;
  /** The declared routes; mounting anything else is a start-up error. */
  declared?: readonly RouteSpec[] | undefined;
}

export interface RouteMounter<G> {
  mount<R extends RouteSpec>(route: R, handler: RouteHandler<R, G>, options?: MountOptions): void;
  /** Declared routes that were never mounted (checked once the service's routes are in). */
  unmounted(): RouteSpec[];
}

const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

function responseProblems(route: RouteSpec, status: number, reply: unknown): string[] {
  const declared = route.responses[status];
  if (!declared) return [`status ${status} is not declared`];
  if (!declared.schema) return [];
  const result = declared.schema.safeParse(reply);
  return result.success ? [] : result.error.issues.slice(0, 10).map((issue) => `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`);
}

/**
 * Mounts declared routes: cache header, caller check, guest, params, query and body validation, then the
 * handler, then the response checked against the declaration. Shared steps, named once, in one order.
 */
export function createRouteMounter<G>(app: Express, options: RouteLayerOptions<G>): RouteMounter<G> {
  const mounted = new Set<RouteSpec>();
  const violations = options.metrics.counter('http_response_contract_violations_total', 'Responses that did not match their declared schema', [
    'operation',
  ] as const);

  function violated(route: RouteSpec, status: number, problems: string[]): void {
    const detail = `${route.operationId} answered ${status} outside its contract: ${problems.join('; ')}`;
    if (options.contractViolations === 'fail') throw new AppError('internal_error', undefined, { expose: false, cause: new Error(detail) });
    options.logger.error('response violates its contract', { operationId: route.operationId, status, problems });
    violations.inc({ operation: route.operationId });
  }

  function callerSteps(route: RouteSpec): RequestHandler[] {
    if (!isServiceRoute(route.callers)) return [];
    if (!options.verifier) throw new Error(`${route.operationId} is called by services, but the app has no service token verifier`);
    return [requireCaller(options.verifier, route.callers.services)];
  }

  function guestOf(route: RouteSpec): ((req: Request, res: Response) => Promise<G>) | undefined {
    if (route.callers !== 'guest') return undefined;
    if (!options.guest) throw new Error(`${route.operationId} is called by guests, but the app has no guest step`);
    return options.guest;
  }

  return {
    mount(route, handler, mountOptions = {}) {
      if (options.declared && !options.declared.includes(route)) throw new Error(`${route.operationId} is mounted but not declared in the service's routes`);
      if (mounted.has(route)) throw new Error(`${route.operationId} is mounted twice`);
      mounted.add(route);
      const count = Object.fromEntries(
        Object.entries(route.counters ?? {}).map(([key, spec]) => [key, options.metrics.counter(spec.name, spec.help, spec.labels ?? [])]),
      ) as RouteCounters<typeof route>;
      const successes = Object.keys(route.responses).map(Number).filter((status) => status >= 200 && status < 300);
      const authenticate = guestOf(route);
      const steps = [...(route.cache === 'no-store' ? [noStore] : []), ...callerSteps(route)];

      app[route.method](route.path, ...steps, async (req: Request, res: Response) => {
        const guest = authenticate ? await authenticate(req, res) : undefined;
        const context = {
          req,
          res,
          params: route.params ? parseWith(route.params, req.params, 'path') : undefined,
          query: route.query ? parseWith(route.query, req.query, 'query') : undefined,
          body: route.body ? parseWith(route.body, mountOptions.body ? mountOptions.body(req) : req.body) : undefined,
          caller: res.locals.caller,
          guest,
          count,
        } as RouteContext<typeof route, G>;
        const reply = await handler(context);
        // A streaming route (e.g. text/event-stream) has written its own answer.
        if (res.headersSent) return;
        const status = successes.length === 1 ? successes[0]! : res.statusCode;
        const problems = responseProblems(route, status, reply);
        if (problems.length > 0) violated(route, status, problems);
        if (reply === undefined) res.status(status).end();
        else res.status(status).json(reply);
      });
    },
    unmounted: () => (options.declared ?? []).filter((route) => !mounted.has(route)),
  };
}
