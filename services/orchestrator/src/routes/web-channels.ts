import type { Express, Request, Response } from 'express';
import { CreateWebChannelRequest, PostMessageRequest, WEB_CHANNELS_PATH, WebChannelParams } from '@webchat/contracts';
import { AppError, FORM_CONTENT_TYPE, parseWith } from '@webchat/http-kit';
import { authenticateGuest, createWebChannel, getWebChannel, listMessages, postMessage, type Guest, type WebChannelDeps } from '../domain/web-channels';
import { enforceAccountCors } from './cors';
import { signalsOf } from './signals';

// Compact JWS/JWE: base64url segments and dots. The contract caps a token at 16 KiB.
const BEARER = /^Bearer +([A-Za-z0-9_.-]{1,16384})$/i;

/** The guest token travels in `Authorization: Bearer` only: never a query string or a body, which get logged and cached. */
export function bearerToken(req: Request): string {
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

/** Token first, then the account's CORS rule: a refused origin stops here, before anything is read for or written by the guest. */
export async function guestOf(deps: WebChannelDeps, req: Request, res: Response): Promise<Guest & { token: string }> {
  const token = bearerToken(req);
  const guest = await authenticateGuest(deps, token, signalsOf(req));
  res.locals.account = guest.account;
  enforceAccountCors(res, guest.account.allowedOrigins, req.get('origin'));
  return { ...guest, token };
}

export function mountWebChannelRoutes(app: Express, deps: WebChannelDeps): void {
  const sidOf = (req: Request) => parseWith(WebChannelParams, req.params, 'path').conversationSid;

  app.post(WEB_CHANNELS_PATH, async (req, res) => {
    const guest = await guestOf(deps, req, res);
    const input = parseWith(CreateWebChannelRequest, jsonBody(req));
    const channel = await createWebChannel(deps, guest, input);
    res.status(201).location(`${WEB_CHANNELS_PATH}/${channel.conversationSid}`).json(channel);
  });

  app.get(`${WEB_CHANNELS_PATH}/:conversationSid`, async (req, res) => {
    const guest = await guestOf(deps, req, res);
    res.status(200).json(await getWebChannel(deps, guest, sidOf(req)));
  });

  app.get(`${WEB_CHANNELS_PATH}/:conversationSid/Messages`, async (req, res) => {
    const guest = await guestOf(deps, req, res);
    res.status(200).json(await listMessages(deps, guest, sidOf(req)));
  });

  app.post(`${WEB_CHANNELS_PATH}/:conversationSid/Messages`, async (req, res) => {
    const guest = await guestOf(deps, req, res);
    const conversationSid = sidOf(req);
    const { body } = parseWith(PostMessageRequest, jsonBody(req));
    const message = await postMessage(deps, guest, conversationSid, body);
    res.status(201).json(message);
  });
}
