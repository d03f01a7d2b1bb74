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

/**
 * The bot's HTTP handler. Answers 2xx only once the reply is stored, so a failed reply makes the webhook
 * dispatcher retry the event; a bad signature is 401 and nothing is done.
 */
export function createEchoBot(config: Pick<EchoBotConfig, 'webhookSecret' | 'apiBaseUrl' | 'agentKey'>, log: (line: string) => void = () => undefined) {
  const verifier = new Webhook(config.webhookSecret);
  const answered = new Set<string>();

  async function postReply(conversationSid: string, text: string): Promise<number> {
    const response = await fetch(`${config.apiBaseUrl}/v2/Conversations/${encodeURIComponent(conversationSid)}/Messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${config.agentKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ body: replyTo(text) }),
      signal: AbortSignal.timeout(4000), // inside the dispatcher's 5 s
    });
    await response.arrayBuffer();
    return response.status;
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
    const status = await postReply(event.data.conversationSid, event.data.body ?? '');
    log(`event ${event.id}: reply ${status}`);
    // 409: the conversation was closed before the reply; no retry can change that, so the event is done.
    if (status === 409) return 204;
    if (status < 200 || status >= 300) return 503; // retried by the dispatcher, same event id
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
