import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPublicAddress, urlFormProblem, type UrlPolicy } from '../domain/webhook-urls';

export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

/** `statusCode` when the receiver answered; otherwise `error` says why there was no answer. */
export interface SendResult {
  statusCode?: number;
  error?: 'url_refused' | 'address_refused' | 'timeout' | 'connection_failed' | 'dns_failed';
  latencyMs: number;
}

class RefusedAddress extends Error {
  readonly code = 'EWEBHOOKREFUSED';
}

/**
 * Resolves the host and refuses non-public addresses before connecting, so the address checked is the one
 * used (a DNS answer that changes between check and connect cannot slip through).
 */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 4);
    const list = addresses as dns.LookupAddress[];
    if (list.length === 0 || list.some((entry) => !isPublicAddress(entry.address))) {
      return callback(new RefusedAddress(`${hostname} resolves to a non-public address`), '', 4);
    }
    if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
    const first = list[0] as dns.LookupAddress;
    return callback(null, first.address, first.family);
  });
};

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 8 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 8 }),
};

/** One POST; redirects are never followed (a 3xx is just a non-2xx answer). */
export function sendWebhook(request: SendRequest, policy: UrlPolicy): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  if (urlFormProblem(request.url, policy)) return Promise.resolve({ error: 'url_refused', latencyMs: 0 });
  const url = new URL(request.url);
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (!policy.allowLocal && isIP(literal) !== 0 && !isPublicAddress(literal)) return Promise.resolve({ error: 'address_refused', latencyMs: 0 });

  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: Omit<SendResult, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, latencyMs: elapsed() });
    };
    const req = transport.request(
      url,
      {
        method: 'POST',
        headers: { ...request.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(request.body).toString() },
        agent: agents[url.protocol as 'http:' | 'https:'],
        ...(policy.allowLocal ? {} : { lookup: guardedLookup }),
      },
      (res) => {
        res.resume(); // the body is never read or stored
        finish({ statusCode: res.statusCode });
      },
    );
    const timer = setTimeout(() => {
      finish({ error: 'timeout' });
      req.destroy();
    }, request.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EWEBHOOKREFUSED') finish({ error: 'address_refused' });
      else if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') finish({ error: 'dns_failed' });
      else finish({ error: 'connection_failed' });
    });
    req.end(request.body);
  });
}
