import express, { type RequestHandler } from 'express';
import { AppError } from './errors';

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

export interface BodyOptions {
  /** e.g. '32kb'; nginx's client_max_body_size is matched to the public one. */
  limit: string;
  /** The public widget may post forms; internal endpoints take JSON only. */
  allowForm?: boolean;
}

const hasBody = (req: Parameters<RequestHandler>[0]) =>
  req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');

/** Parses JSON (and forms where allowed) and refuses every other content type with 415. */
export function bodyParsers({ limit, allowForm = false }: BodyOptions): RequestHandler[] {
  const json = express.json({ limit, strict: true, type: ['application/json', 'application/*+json'] });
  const form = express.urlencoded({ limit, extended: false, parameterLimit: 50 });
  const gate: RequestHandler = (req, _res, next) => {
    if (!['POST', 'PUT', 'PATCH'].includes(req.method) || !hasBody(req)) return next();
    if (req.is(['application/json', 'application/*+json'])) return next();
    if (allowForm && req.is(FORM_CONTENT_TYPE)) return next();
    next(
      new AppError(
        'unsupported_media_type',
        `Send the body as application/json${allowForm ? ` or ${FORM_CONTENT_TYPE}` : ''}`,
      ),
    );
  };
  return allowForm ? [gate, json, form] : [gate, json];
}
