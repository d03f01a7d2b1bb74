import { createHash } from 'node:crypto';
import type { Express } from 'express';
import { WEB_CHANNEL_EVENTS_SUFFIX, WEB_CHANNELS_PATH, WebChannelParams } from '@webchat/contracts';
import { AppError, parseWith } from '@webchat/http-kit';
import { fromStore } from '../domain/accounts';
import type { LiveEvents } from '../domain/live-events';
import type { WebChannelDeps } from '../domain/web-channels';
import { lastEventIdOf, openEventStream } from './sse';
import { guestOf } from './web-channels';

export interface WebChannelEventDeps extends WebChannelDeps {
  live: LiveEvents;
  retryMs: number;
}

/**
 * The guest's live stream: its conversation's messages (agents', and its own from another tab) and the end of
 * the conversation. Token and fingerprint are checked as on every use; the stream ends when the token expires,
 * and the widget refreshes and resumes with Last-Event-ID (the conversation's event position).
 */
export function mountWebChannelEventRoutes(app: Express, deps: WebChannelEventDeps): void {
  app.get(`${WEB_CHANNELS_PATH}/:conversationSid${WEB_CHANNEL_EVENTS_SUFFIX}`, async (req, res) => {
    const guest = await guestOf(deps, req, res);
    const { conversationSid } = parseWith(WebChannelParams, req.params, 'path');
    const lastPosition = lastEventIdOf(req) ?? 0;
    // Ownership, read once: the stream itself then only follows the conversation's events.
    const found = await fromStore(() => deps.conversations.findConversation(conversationSid, guest, 1));
    if (!found) throw new AppError('conversation_not_found', 'No conversation with this SID belongs to this token');
    const holder = createHash('sha256').update(guest.token).digest('base64url');
    deps.live.openGuestStream(holder, conversationSid, lastPosition, (closed) => {
      const sink = openEventStream(res, deps.retryMs, () => {
        clearTimeout(expiry);
        closed();
      });
      const untilExpiry = Math.max(0, Date.parse(guest.expiresAt) - Date.now());
      const expiry = setTimeout(() => sink.end(deps.retryMs), Math.min(untilExpiry, 2 ** 31 - 1));
      expiry.unref();
      return sink;
    });
  });
}
