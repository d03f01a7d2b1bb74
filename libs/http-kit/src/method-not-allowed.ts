import type { RequestHandler } from 'express';
import type { OpenApiDocument } from '@webchat/contracts';
import { AppError } from './errors';

interface KnownPath {
  pattern: RegExp;
  allow: string;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `/v1/Accounts/{accountSid}/Tokens` → a matcher with Express's defaults: case-insensitive, optional trailing slash. */
function matcherFor(path: string): RegExp {
  const segments = path.split('/').map((segment) => (/^\{[^}]+\}$/.test(segment) ? '[^/]+' : escapeRegExp(segment)));
  return new RegExp(`^${segments.join('/')}/?$`, 'i');
}

function allowHeader(methods: Iterable<string>): string {
  const upper = new Set([...methods].map((m) => m.toUpperCase()));
  // Express answers HEAD with its GET route.
  if (upper.has('GET')) upper.add('HEAD');
  return [...upper].sort().join(', ');
}

/**
 * A path we serve, asked with a method we do not: 405 with `Allow` (RFC 9110 §15.5.6) instead of a 404
 * that would tell a client the endpoint does not exist. The paths come from the service's own OpenAPI
 * document, so the answer cannot drift from the contract; `extra` adds the operational GET routes.
 */
export function methodNotAllowed(openapi: OpenApiDocument | undefined, extra: Record<string, string[]>): RequestHandler {
  const methodsByPath: Record<string, string[]> = { ...extra };
  for (const [path, operations] of Object.entries(openapi?.paths ?? {})) methodsByPath[path] = Object.keys(operations);
  const known: KnownPath[] = Object.entries(methodsByPath).map(([path, methods]) => ({ pattern: matcherFor(path), allow: allowHeader(methods) }));
  return (req, _res, next) => {
    const path = known.find((entry) => entry.pattern.test(req.path));
    if (!path) return next();
    next(new AppError('method_not_allowed', `${req.method.slice(0, 16)} is not allowed here; use ${path.allow}`, { headers: { Allow: path.allow } }));
  };
}
