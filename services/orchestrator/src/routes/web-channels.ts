import type { Request, Response } from 'express';
import { WEB_CHANNELS_PATH, createWebChannelRoute, getWebChannelRoute, listMessagesRoute, postMessageRoute } from '@webchat/contracts';
import { AppError } from '@webchat/errors';
import { FORM_CONTENT_TYPE, type RouteMounter } from '@webchat/http-kit';
import { authenticateGuest, createWebChannel, getWebChannel, listMessages, postMessage, type Guest, type WebChannelDeps } from '../domain/web-channels';
import { enforceAccountCors } from './cors';
import { signalsOf } from './signals';

// Compact JWS/JWE: base64url segments and dots. The contract caps a token at 16 KiB.
const BEARER = /^Bearer +([A-Za-z0-9_.-]{1,16384})$/i;

/** The guest token travels in `Authorization: Bearer` only: never a query string or a body, which get logged and cached. */
function bearerToken(req: Request): string {
  const match = BEARER.exec(req.get('authorization')?.trim() ?? '');
  if (!match?.[1]) {
    throw new AppError('token_invalid', 'Send the webchat token as "Authorization: Bearer <token>"', {
      headers: { 'WWW-Authenticate': 'Bearer realm="webchat"' },
    });
  }
  return match[1];
}

/** JSON only here: the routes table offers no form encoding for WebChannels. An empty body is an empty object. */
function jsonBody(req: Request): unknown {
  if (req.is(FORM_CONTENT_TYPE)) throw new AppError('unsupported_media_type', 'Send the body as application/json');
  return req.body ?? {};
}

/**
 * The guest step of every guest route: token first, then the account's CORS rule, so a refused origin stops
 * here, before anything is read for or written by the guest.
 */
export const guestStep =
  (deps: WebChannelDeps) =>
  async (req: Request, res: Response): Promise<Guest> => {
    const guest = await authenticateGuest(deps, bearerToken(req), signalsOf(req));
    res.locals.account = guest.account;
    enforceAccountCors(res, guest.account, req.get('origin'), deps.refusals);
    return guest;
  };

export function mountWebChannelRoutes(routes: RouteMounter<Guest>, deps: WebChannelDeps): void {
  routes.mount(
    createWebChannelRoute,
    async ({ res, guest, body, count }) => {
      const channel = await createWebChannel(deps, guest, body);
      count.created.inc();
      res.location(`${WEB_CHANNELS_PATH}/${channel.conversationSid}`);
      return channel;
    },
    { body: jsonBody },
  );

  routes.mount(getWebChannelRoute, ({ guest, params }) => getWebChannel(deps, guest, params.conversationSid));

  routes.mount(listMessagesRoute, ({ guest, params }) => listMessages(deps, guest, params.conversationSid));

  routes.mount(postMessageRoute, ({ guest, params, body }) => postMessage(deps, guest, params.conversationSid, body.body), { body: jsonBody });
}
