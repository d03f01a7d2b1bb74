import { Health, Readiness } from '../health';
import { declareRoute, type RouteSpec } from '../route';

/** Routes every service has (http-kit mounts them itself); documented in each description. */
export const healthRoute = declareRoute({
  method: 'get', path: '/healthz', operationId: 'health', summary: 'Liveness', callers: 'public',
  responses: { 200: { description: 'Alive', schema: Health } },
});

export const readinessRoute = declareRoute({
  method: 'get', path: '/readyz', operationId: 'readiness', summary: 'Readiness', callers: 'public',
  responses: { 200: { description: 'Ready', schema: Readiness }, 503: { description: 'Not ready', schema: Readiness } },
});

export const operationalRoutes: readonly RouteSpec[] = [healthRoute, readinessRoute];
