import http from 'node:http';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { EchoBotConfig } from './config';

/** The part of a webchat webhook event the bot reads (the full shape is in the OpenAPI `webhooks` section). */
interface WebchatEvent {
  id: string;
  type: string;
  data: { conversationSid?: string; author?: string; body?: string };
}

const MAX_BODY_BYTES = 64 * 1024;
/** Event ids already answered: deliveries are at least once, so a retry of an answered event is skipped. */
const REMEMBERED_EVENTS = 10_000;

/** The agent API refuses a message body over 4 KiB of UTF-8 (400), so a reply is cut to fit, on a whole character. */
const REPLY_MAX_BYTES = 4 * 1024;

export function replyTo(text: string): string {
  let reply = '';
  let bytes = 0;
  for (const char of `Echo: ${text}`) {
    bytes += Buffer.byteLength(char, 'utf8');
    if (bytes > REPLY_MAX_BYTES) break;
    reply += char;
  }
  return reply;
}

/** A 4xx the same request would get again; 408 (timeout) and 429 (rate limited) pass, so they are retried. */
export const isPermanentRefusal = (status: number) => status >= 400 && status < 500 && status !== 408 && status !== 429;

/**
 * The bot's HTTP handler. Answers 2xx once the reply is stored, or when the agent API refused it for good (a 4xx);
 * a failed reply (5xx, timeout, no connection) is 503, so the webhook dispatcher retries the event. A bad signature
 * is 401 and nothing is done.
 */
export function createEchoBot(config: Pick<EchoBotConfig, 'webhookSecret' | 'apiBaseUrl' | 'agentKey'>, log: (line: string) => void = () => undefined) {
  const verifier = new Webhook(config.webhookSecret);
  const answered = new Set<string>();

  /** The agent API's answer: its status and, for a problem (RFC 9457), its stable `code`. */
  async function postReply(conversationSid: string, text: string): Promise<{ status: number; code?: string }> {
    const response = await fetch(`${config.apiBaseUrl}/v2/Conversations/${encodeURIComponent(conversationSid)}/Messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${config.agentKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ body: replyTo(text) }),
      signal: AbortSignal.timeout(4000), // inside the dispatcher's 5 s
    });
    const body = await response.text();
    if (!response.headers.get('content-type')?.includes('json')) return { status: response.status };
    try {
      const code = (JSON.parse(body) as { code?: unknown }).code;
      // A stable code is a short snake_case word; anything else is not logged.
      return typeof code === 'string' && /^[a-z0-9_]{1,64}$/.test(code) ? { status: response.status, code } : { status: response.status };
    } catch {
      return { status: response.status };
    }
  }

  async function handle(rawBody: string, headers: http.IncomingHttpHeaders): Promise<number> {
    let event: WebchatEvent;
    try {
      event = verifier.verify(rawBody, headers as Record<string, string>) as WebchatEvent;
    } catch (error) {
      if (error instanceof WebhookVerificationError) return 401;
      throw error;
    }
    // Only guests are answered: the bot's own replies come back as message.created too.
    if (event.type !== 'message.created' || event.data.author !== 'guest' || !event.data.conversationSid) return 204;
    if (answered.has(event.id)) return 204;
    const { status, code } = await postReply(event.data.conversationSid, event.data.body ?? '');
    // 409 (closed before the reply), 400, 403, 404...: the agent API would refuse this reply again, and a retry
    // for 24 h changes nothing, so the event is acknowledged. Only the status and the problem's code are logged.
    const permanent = isPermanentRefusal(status);
    log(`event ${event.id}: reply ${status}${code ? ` (${code})` : ''}${permanent ? ', refused for good: acknowledged, not retried' : ''}`);
    if (permanent) return 204;
    if (status < 200 || status >= 300) return 503; // 5xx, 408, 429: retried by the dispatcher, same event id
    answered.add(event.id);
    if (answered.size > REMEMBERED_EVENTS) answered.delete(answered.values().next().value as string);
    return 204;
  }

  return http.createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/healthz' || req.url === '/readyz')) {
      res.writeHead(200).end();
      return;
    }
    if (req.method !== 'POST' || req.url?.split('?')[0] !== '/webhooks') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      handle(Buffer.concat(chunks).toString('utf8'), req.headers).then(
        (status) => res.writeHead(status).end(),
        (error: unknown) => {
          log(`event failed: ${error instanceof Error ? error.name : 'error'}`);
          res.writeHead(503).end();
        },
      );
    });
  });
}
