import type { ErrorRequestHandler, Response } from 'express';
import { ERROR_CODES, PROBLEM_CONTENT_TYPE, problemTypeUri, type ErrorCode, type Problem } from '@webchat/contracts';
import { currentRequestId, type Logger } from '@webchat/logger';
import { AppError, isAppError } from './errors';

/** Errors that body-parser and Express raise, expressed as our codes. */
function fromFrameworkError(err: unknown): AppError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { type?: string; status?: number; expose?: boolean };
  switch (e.type) {
    case 'entity.too.large':
      return new AppError('payload_too_large', 'The body is larger than this endpoint accepts');
    case 'entity.parse.failed':
      return new AppError('malformed_json', 'The body could not be parsed');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('unsupported_media_type', 'The body encoding or charset is not supported');
    case 'request.aborted':
      return new AppError('invalid_request', 'The request was aborted by the client');
    case 'parameters.too.many':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new AppError('invalid_request', 'The body is not valid');
  }
  if (e.type === undefined && typeof e.status === 'number' && e.status >= 400 && e.status < 500 && e.expose) {
    // e.g. a URIError from a malformed percent-encoding in the path
    return new AppError('invalid_request', 'The request is not valid');
  }
  return undefined;
}

/** Names the errors only a service can recognise (e.g. "the database is not serving us"); undefined for the rest. */
export type KnownErrors = (err: unknown) => AppError | undefined;

export function toAppError(err: unknown, known?: KnownErrors): AppError {
  if (isAppError(err)) return err;
  return fromFrameworkError(err) ?? known?.(err) ?? new AppError('internal_error', undefined, { expose: false, cause: err });
}

export function problemBody(err: AppError): Problem {
  const code: ErrorCode = err.code;
  return {
    type: problemTypeUri(code),
    title: ERROR_CODES[code].title,
    status: err.status,
    detail: err.expose ? err.message : 'An unexpected error occurred. Quote the request id when reporting it.',
    code,
    requestId: currentRequestId() ?? 'unknown',
    ...(err.errors && err.expose ? { errors: err.errors } : {}),
  };
}

export function sendProblem(res: Response, err: AppError): void {
  if (err.headers) res.set(err.headers);
  res.status(err.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problemBody(err)));
}

/** The one serializer: decides what a client sees and logs what it does not. */
export function problemHandler(logger: Logger, known?: KnownErrors): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const appError = toAppError(err, known);
    if (appError.status >= 500) {
      logger.error('request failed', { code: appError.code, method: req.method, path: req.path, err: appError.cause ?? appError });
    } else {
      logger.info('request refused', { code: appError.code, status: appError.status, method: req.method, path: req.path });
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendProblem(res, appError);
  };
}
