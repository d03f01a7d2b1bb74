import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '@webchat/errors';

// The codes live in @webchat/errors (no framework) so domain code can throw them; contracts re-exports them for callers.
export { ERROR_CODES, type ErrorCode };

export const ErrorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const problemTypeUri = (code: string) => `https://docs.webchat.example/problems/${code}`;

export const FieldError = z.strictObject({ field: z.string(), message: z.string() });
export type FieldError = z.infer<typeof FieldError>;

/** RFC 9457 problem details, with our stable `code` and the request id for support. */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int().min(400).max(599),
  detail: z.string(),
  code: ErrorCodeSchema,
  requestId: z.string(),
  errors: z.array(FieldError).optional(),
});
export type Problem = z.infer<typeof Problem>;
