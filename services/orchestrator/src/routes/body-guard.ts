import type { RequestHandler } from 'express';
import { AppError } from '@webchat/errors';

/** The public bodies are a few flat fields and a small pre-engagement object; nothing needs more. */
export const MAX_BODY_DEPTH = 32;

// A NUL or a lone UTF-16 surrogate cannot be stored (Postgres text/jsonb refuse them, which was a 500).
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Refuses a parsed body that is nested deeper than MAX_BODY_DEPTH (the schemas' size checks serialise it
 * recursively, and a few thousand levels overflow the stack: a 500) or holds text Postgres cannot store.
 * Iterative, so the check itself cannot overflow.
 */
function bodyProblem(body: unknown): string | undefined {
  const pending: Array<[unknown, number]> = [[body, 1]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (typeof value === 'string') {
      if (UNSTORABLE.test(value)) return 'text must not contain NUL characters or unpaired surrogates';
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_BODY_DEPTH) return `it is nested more than ${MAX_BODY_DEPTH} levels deep`;
    for (const [key, inner] of Object.entries(value)) {
      if (UNSTORABLE.test(key)) return 'keys must not contain NUL characters or unpaired surrogates';
      pending.push([inner, depth + 1]);
    }
  }
  return undefined;
}

export const guardPublicBody = (): RequestHandler => (req, _res, next) => {
  const problem = bodyProblem(req.body);
  next(problem ? new AppError('invalid_request', `The body is not valid: ${problem}`) : undefined);
};
