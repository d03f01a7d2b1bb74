import type { Request, Response } from 'express';
import { AppError } from '@webchat/errors';
import type { ConversationEventEnvelope } from '@webchat/contracts';
import type { ConversationEvent } from '../data-access/event-repository';
import type { StreamSink } from '../domain/live-events';

/*
 * Server-Sent Events framing. Hand-written on purpose: the frame format is four lines, and what a library such as
 * better-sse adds (sessions, channels, its own keep-alive and event buffering) duplicates LiveEvents, which owns
 * replay, ordering, limits and draining against Postgres. Data is single-line JSON, so no field needs splitting.
 */

export const toEnvelope = (event: ConversationEvent): ConversationEventEnvelope => ({
  eventSid: event.eventSid,
  type: event.type as ConversationEventEnvelope['type'],
  accountSid: event.accountSid,
  conversationSid: event.conversationSid,
  position: event.position,
  createdAt: event.createdAt.toISOString(),
  data: event.data,
});

/** A non-negative integer or nothing; anything else is a client bug worth a 400, not a silent replay from zero. */
export function lastEventIdOf(req: Request): number | undefined {
  const raw = req.get('last-event-id');
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^\d{1,15}$/.test(raw.trim())) {
    throw new AppError('invalid_request', 'Last-Event-ID must be the id of an event this stream sent', {
      errors: [{ field: 'Last-Event-ID', message: 'must be a non-negative integer' }],
    });
  }
  return Number(raw.trim());
}

/** Starts the event stream (headers flushed now, so proxies and the widget see it open) and returns its sink. */
export function openEventStream(res: Response, retryMs: number, onEnd: () => void): StreamSink {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  // nginx honours this per response even where buffering is on; Starship also turns it off for these paths.
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  res.write(`retry: ${retryMs}\n\n`);
  let ended = false;
  const finish = () => {
    if (ended) return;
    ended = true;
    onEnd();
  };
  res.once('close', finish);
  return {
    deliver(id, event) {
      if (!ended) res.write(`id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(toEnvelope(event))}\n\n`);
    },
    heartbeat() {
      if (!ended) res.write(': keep-alive\n\n');
    },
    end(retry) {
      if (ended) return;
      res.write(`retry: ${retry}\nevent: reconnect\ndata: {}\n\n`);
      finish();
      res.end();
    },
    revoke(problem) {
      if (ended) return;
      // No retry hint: reconnecting with the same token or key is refused with the same code.
      res.write(`event: revoked\ndata: ${JSON.stringify(problem)}\n\n`);
      finish();
      res.end();
    },
  };
}
