import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { requestContext } from '@webchat/logger';

export const REQUEST_ID_HEADER = 'x-request-id';
/** Ids from outside are echoed into logs and headers, so only a conservative shape is reused. */
const SAFE_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export const requestId = (): RequestHandler => (req, res, next) => {
  const inbound = req.get(REQUEST_ID_HEADER);
  const id = inbound && SAFE_ID.test(inbound) ? inbound : randomUUID();
  res.setHeader('X-Request-Id', id);
  requestContext.run({ requestId: id }, next);
};
