import { ERROR_CODES, type ErrorCode } from './codes';

/** One field a client got wrong; the same shape as the contract's `FieldError`. */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * The one error type of the platform. `expose` says whether `detail` may reach the client; a 5xx
 * that is not ours to explain (a bug) is never exposed.
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly expose: boolean;
  readonly errors?: FieldProblem[];
  readonly headers?: Record<string, string>;

  constructor(
    code: ErrorCode,
    detail?: string,
    options: { status?: number; expose?: boolean; errors?: FieldProblem[]; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(detail ?? ERROR_CODES[code].title, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? ERROR_CODES[code].status;
    this.expose = options.expose ?? (this.status < 500 || code !== 'internal_error');
    if (options.errors) this.errors = options.errors;
    if (options.headers) this.headers = options.headers;
  }
}

export const isAppError = (err: unknown): err is AppError => err instanceof AppError;
