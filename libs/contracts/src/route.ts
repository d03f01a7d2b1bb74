import type { z } from 'zod';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Who may call a route: anyone, the holder of a guest token, an agent or bot of the account (`wk_` key, checked
 * by the handler's service), or the named services (service JWT).
 */
export type Callers = 'public' | 'guest' | 'agent' | { services: readonly string[] };

/** A Prometheus counter the route's handler increments; routes that count the same thing name the same counter. */
export interface CounterSpec {
  name: string;
  help: string;
  labels?: readonly string[];
}

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Anything but JSON (e.g. `text/event-stream`): the handler writes the response itself. */
  contentType?: string;
}

/**
 * One declaration per route: the OpenAPI document, the mount (http-kit's `routes.mount`), request and
 * response validation, the caller check, the cache header and the route's counters all read it.
 */
export interface RouteSpec {
  method: HttpMethod;
  /** Express-style path (`/v1/Accounts/:accountSid/Tokens`). */
  path: string;
  operationId: string;
  summary: string;
  callers: Callers;
  /** `no-store` on every answer of the route, refusals included: tokens and conversations must never be cached. */
  cache?: 'no-store';
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  bodyContentTypes?: readonly string[];
  responses: Record<number, ResponseSpec>;
  /** Problem statuses this route documents on top of the generic ones. */
  problems?: readonly number[];
  counters?: Record<string, CounterSpec>;
}

/** Keeps the literal types of a declaration (statuses, schemas, counters) so the handler is typed from it. */
export const declareRoute = <const R extends RouteSpec>(route: R): R => route;

export const isServiceRoute = (callers: Callers): callers is { services: readonly string[] } => typeof callers === 'object';

/** Every service allowed on any of these routes: whose service-token public keys the callee must hold. */
export const serviceCallersOf = (routes: readonly RouteSpec[]): string[] => [
  ...new Set(routes.flatMap((route) => (isServiceRoute(route.callers) ? route.callers.services : []))),
];
