import type { z } from 'zod';
import { AppError } from './errors';

/** Validates with a shared contract schema; the client learns which field is wrong and why. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where = 'body'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.slice(0, 20).map((issue) => ({
    field: issue.path.length ? issue.path.map(String).join('.') : where,
    message: issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message,
  }));
  const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  throw new AppError('invalid_request', `The ${where} is not valid: ${detail}`, { errors });
}
