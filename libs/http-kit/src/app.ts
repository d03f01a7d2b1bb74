import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from '@webchat/logger';
import { buildOpenApi, operationalRoutes, type OpenApiDocument, type RouteSpec, type WebhookDeclaration } from '@webchat/contracts';
import { requestId } from './request-id';
import { bodyParsers, type BodyOptions } from './body';
import { createMetrics, matchedRoute, type Metrics } from './metrics';
import { problemHandler, type KnownErrors } from './problem';
import { AppError } from './errors';
import { methodNotAllowed } from './method-not-allowed';
import type { CallerVerifier } from './callers';
import { createRouteMounter, type ContractViolations, type RouteMounter } from './routes';

export type ReadinessCheck = () => Promise<boolean> | boolean;

export interface ServiceAppOptions<G = never> {
  service: string;
  logger: Logger;
  body: BodyOptions;
  /** Named checks for /readyz; a failing or throwing check makes the service not ready. */
  readiness?: Record<string, ReadinessCheck>;
  /** The service's declared routes: the OpenAPI document is built from them and each must be mounted. */
  api?: { info: { title: string; version: string; description?: string }; routes: readonly RouteSpec[]; webhooks?: readonly WebhookDeclaration[] };
  /** A ready-made document, for an app without declared routes. */
  openapi?: OpenApiDocument;
  /** Default `fail`: a handler answering outside its contract is a 500 (development and test). Production passes `report`. */
  contractViolations?: ContractViolations;
  /** Verifies service JWTs on routes whose callers are services. */
  verifier?: CallerVerifier;
  /** Authenticates the guest on guest routes. */
  guest?: (req: Request, res: Response) => Promise<G>;
  metrics?: Metrics;
  /**
   * Express `trust proxy`: the addresses (or CIDR ranges, or `loopback`) of the proxies whose
   * X-Forwarded-For is believed. A hop count would believe whoever connects, Starship or not.
   */
  trustProxy?: readonly string[] | false;
  /** Errors the service can name (a store that is not serving us: 503) instead of a 500. */
  knownErrors?: KnownErrors;
  /** Middleware that must run before body parsing (e.g. CORS on public routes). */
  before?: RequestHandler[];
}

export interface ServiceApp {
  app: Express;
  metrics: Metrics;
  /** Flipped by the drain on SIGTERM so /readyz turns away new traffic first. */
  lifecycle: { draining: boolean };
}

const OPERATIONAL_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Metrics and the access log in one `finish` listener per request (not one each), and the log line
 * built only when its level is on: at LOG_LEVEL=warn a request pays for neither the line nor the
 * route string twice. One line per request, with the request id (from the context), never headers or bodies.
 */
const observeRequests =
  (metrics: Metrics, logger: Logger): RequestHandler =>
  (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const elapsed = process.hrtime.bigint() - started;
      const route = matchedRoute(req);
      metrics.record(req.method, route, res.statusCode, Number(elapsed) / 1e9);
      if (!logger.isLevelEnabled('info') || OPERATIONAL_PATHS.has(req.path)) return;
      logger.info('request', {
        method: req.method,
        route: route === 'unmatched' ? req.path.slice(0, 200) : route,
        status: res.statusCode,
        durationMs: Number(elapsed / 1000n) / 1000,
      });
    });
    next();
  };

async function runCheck(check: ReadinessCheck): Promise<boolean> {
  try {
    return await Promise.race([
      Promise.resolve(check()),
      new Promise<boolean>((resolve) => setTimeout(resolve, 2000, false).unref()),
    ]);
  } catch {
    return false;
  }
}

/**
 * Builds an app in the order every service shares: request id first (so every later line has it),
 * metrics, operational routes, body parsing, the service's routes, then 404 and the one serializer.
 */
export function createServiceApp<G = never>(options: ServiceAppOptions<G>, mountRoutes: (app: Express, routes: RouteMounter<G>) => void): ServiceApp {
  const { service, logger } = options;
  const metrics = options.metrics ?? createMetrics(service);
  const lifecycle = { draining: false };
  const openapi = options.api ? buildOpenApi(options.api.info, [...operationalRoutes, ...options.api.routes], options.api.webhooks) : options.openapi;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', options.trustProxy && options.trustProxy.length > 0 ? [...options.trustProxy] : false);
  // One spelling per route: `/v2/WebChannels/` or `/v2/webchannels` must not reach a route that the edge
  // limits under its canonical path (issue 12: a trailing slash stepped around the per-address budget).
  app.set('strict routing', true);
  app.set('case sensitive routing', true);
  app.use(requestId());
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.use(observeRequests(metrics, logger));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service });
  });
  app.get('/readyz', async (_req, res) => {
    const entries = Object.entries(options.readiness ?? {});
    const results = await Promise.all(entries.map(async ([name, check]) => [name, (await runCheck(check)) ? 'ok' : 'failing'] as const));
    const checks = Object.fromEntries(results);
    const ready = !lifecycle.draining && results.every(([, state]) => state === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', service, checks });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  if (openapi) {
    const doc = openapi;
    app.get('/openapi.json', (_req, res) => {
      res.json(doc);
    });
  }

  for (const handler of options.before ?? []) app.use(handler);
  app.use(bodyParsers(options.body));
  const routes = createRouteMounter<G>(app, {
    logger,
    metrics,
    contractViolations: options.contractViolations ?? 'fail',
    verifier: options.verifier,
    guest: options.guest,
    declared: options.api?.routes,
  });
  mountRoutes(app, routes);
  const unmounted = routes.unmounted();
  if (unmounted.length > 0) throw new Error(`Declared but not mounted: ${unmounted.map((route) => route.operationId).join(', ')}`);

  const operational: Record<string, string[]> = { '/healthz': ['get'], '/readyz': ['get'], '/metrics': ['get'], ...(openapi ? { '/openapi.json': ['get'] } : {}) };
  app.use(methodNotAllowed(openapi, operational));
  app.use((req, _res, next) => {
    next(new AppError('not_found', `No route for ${req.method} ${req.path}`));
  });
  app.use(problemHandler(logger, options.knownErrors));
  return { app, metrics, lifecycle };
}
