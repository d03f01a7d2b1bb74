import { webChannelEventsRoute } from '@webchat/contracts';
import { AppError } from '@webchat/errors';
import type { RouteMounter } from '@webchat/http-kit';
import type { LiveEvents, StreamGrant } from '../domain/live-events';
import type { StreamRevocation } from '../domain/stream-revocation';
import type { Guest, WebChannelDeps } from '../domain/web-channels';
import { lastEventIdOf, openEventStream } from './sse';

export interface WebChannelEventDeps extends WebChannelDeps {
  live: LiveEvents;
  revocation: Pick<StreamRevocation, 'opened'>;
  retryMs: number;
}

/**
 * The guest's live stream: its conversation's messages (agents', and its own from another tab) and the end of
 * the conversation. Token and fingerprint are checked by the guest step as on every use; the stream ends when
 * the token expires, and the widget refreshes and resumes with Last-Event-ID (the conversation's event position).
 * It ends at once, with a final `revoked` event, when the token's minting key is revoked or the token is killed
 * by fingerprint mismatches (domain/stream-revocation.ts).
 */
export function mountWebChannelEventRoutes(routes: RouteMounter<Guest>, deps: WebChannelEventDeps): void {
  routes.mount(webChannelEventsRoute, async ({ req, res, guest, params }) => {
    const lastPosition = lastEventIdOf(req) ?? 0;
    // Ownership, read once: the stream itself then only follows the conversation's events.
    const found = await deps.conversations.findConversation(params.conversationSid, guest, 1);
    if (!found) throw new AppError('conversation_not_found', 'No conversation with this SID belongs to this token');
    // Tabs of one guest share one token: the per-holder limit counts the guest identity.
    const grant: StreamGrant = { kind: 'guest', accountSid: guest.accountSid, deploymentKeyId: guest.deploymentKeyId, tokenHash: guest.tokenHash };
    deps.live.openGuestStream(`guest:${guest.identity}`, grant, params.conversationSid, lastPosition, (closed) => {
      let expiry: NodeJS.Timeout | undefined;
      const sink = openEventStream(res, deps.retryMs, () => {
        clearTimeout(expiry);
        closed();
      });
      const untilExpiry = Math.max(0, Date.parse(guest.expiresAt) - Date.now());
      expiry = setTimeout(() => sink.end(deps.retryMs), Math.min(untilExpiry, 2 ** 31 - 1));
      expiry.unref();
      return sink;
    });
    await deps.revocation.opened(grant);
  });
}
