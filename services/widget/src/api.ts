import type { Message, TokenResponse, WebchatConfiguration, WebChannel, WebChannelWithMessages } from '@webchat/contracts';
import { PATHS, REQUEST_TIMEOUT_MS } from './constants';
import type { Texts } from './i18n';

/** What went wrong, in the terms the guest is told about. */
export type FailureKind =
  | 'not_allowed' // this website's origin is refused by the account
  | 'offline' // the browser says it has no network
  | 'unreachable' // no answer at all from the chat service
  | 'unavailable' // the service answered that it cannot serve now (5xx, timeout)
  | 'busy' // rate limited
  | 'closed' // the account/deployment key is not active
  | 'session' // the token or the conversation is no longer valid: start again
  | 'invalid'; // the service refused what was sent

export class WebchatError extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly code?: string,
    readonly status?: number,
    /** From a 429's Retry-After, when the service exposes it to the page. */
    readonly retryAfterSeconds?: number,
  ) {
    super(`${kind}${code ? ` (${code})` : ''}`);
    this.name = 'WebchatError';
  }
}

const SESSION_CODES = new Set([
  'token_invalid',
  'token_expired',
  'fingerprint_mismatch',
  'fingerprint_required',
  'session_expired',
  'account_mismatch',
  'conversation_not_found',
]);

function kindOf(status: number, code: string | undefined): FailureKind {
  if (code === 'origin_not_allowed') return 'not_allowed';
  if (code === 'deployment_key_invalid') return 'closed';
  if (code !== undefined && SESSION_CODES.has(code)) return 'session';
  if (status === 401) return 'session';
  if (status === 429) return 'busy';
  if (status >= 500) return 'unavailable';
  return 'invalid';
}

async function withTimeout<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  try {
    return await work(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

export class WebchatApi {
  constructor(
    private readonly baseUrl: string,
    private readonly deploymentKey: string,
  ) {}

  /**
   * A browser hides why a cross-origin request failed: a refused origin (our 403 carries an ACAO that can
   * never match) looks exactly like a network error. Starship's /healthz answers anyone, so when it is
   * reachable (an opaque no-cors answer is enough) the failure was the origin check.
   */
  private async explainFailure(): Promise<WebchatError> {
    const offline = () => navigator.onLine === false;
    if (offline()) return new WebchatError('offline');
    try {
      await withTimeout(5000, (signal) => fetch(`${this.baseUrl}${PATHS.health}`, { mode: 'no-cors', cache: 'no-store', credentials: 'omit', signal }));
      return new WebchatError('not_allowed');
    } catch {
      return new WebchatError(offline() ? 'offline' : 'unreachable');
    }
  }

  private async request<T>(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: unknown, cache: RequestCache = 'no-store'): Promise<T> {
    let response: Response;
    try {
      response = await withTimeout(REQUEST_TIMEOUT_MS, (signal) =>
        fetch(`${this.baseUrl}${path}`, {
          method,
          mode: 'cors',
          credentials: 'omit',
          cache,
          headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal,
        }),
      );
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw new WebchatError('unavailable', 'timeout');
      throw await this.explainFailure();
    }
    let json: unknown;
    try {
      json = await response.json();
    } catch {
      json = undefined;
    }
    if (response.ok && json !== undefined) return json as T;
    const code = typeof (json as { code?: unknown } | undefined)?.code === 'string' ? (json as { code: string }).code : undefined;
    const retryAfter = /^\d{1,6}$/.test(response.headers.get('retry-after') ?? '') ? Number(response.headers.get('retry-after')) : undefined;
    throw new WebchatError(response.ok ? 'unavailable' : kindOf(response.status, code), code, response.status, retryAfter);
  }

  /** The account's look, texts and form. The browser may reuse it for as long as the answer's max-age says. */
  configuration(): Promise<WebchatConfiguration> {
    return this.request('GET', `${PATHS.configuration}?deploymentKey=${encodeURIComponent(this.deploymentKey)}`, {}, undefined, 'default');
  }

  /** A new token: for a new guest, or for the one a previous token or a customer-signed identity token proves. */
  token(headers: Record<string, string>, input: { previousToken?: string; identityToken?: string; customerFriendlyName?: string }): Promise<TokenResponse & { verifiedGuest?: { name?: string; email?: string } }> {
    return this.request('POST', PATHS.token, headers, { deploymentKey: this.deploymentKey, ...input });
  }

  refresh(headers: Record<string, string>, token: string): Promise<TokenResponse> {
    return this.request('POST', PATHS.refresh, headers, { deploymentKey: this.deploymentKey, token });
  }

  createChannel(headers: Record<string, string>, token: string, body: { customerFriendlyName?: string; preEngagementData?: Record<string, unknown> }): Promise<WebChannel> {
    return this.request('POST', PATHS.channels, { ...headers, authorization: `Bearer ${token}` }, body);
  }

  getChannel(headers: Record<string, string>, token: string, conversationSid: string): Promise<WebChannelWithMessages> {
    return this.request('GET', `${PATHS.channels}/${encodeURIComponent(conversationSid)}`, { ...headers, authorization: `Bearer ${token}` });
  }

  postMessage(headers: Record<string, string>, token: string, conversationSid: string, body: string): Promise<Message> {
    return this.request('POST', `${PATHS.channels}/${encodeURIComponent(conversationSid)}/Messages`, { ...headers, authorization: `Bearer ${token}` }, { body });
  }
}

/** Plain words for the guest, in the guest's language. */
export function describeFailure(error: unknown, texts: Texts): string {
  const kind = error instanceof WebchatError ? error.kind : 'unavailable';
  switch (kind) {
    case 'not_allowed':
      return texts.t('notAllowed');
    case 'busy': {
      const seconds = error instanceof WebchatError ? error.retryAfterSeconds : undefined;
      return seconds === undefined ? texts.t('busy') : seconds === 1 ? texts.t('busySecond') : texts.t('busySeconds', { seconds });
    }
    default:
      return texts.t(kind);
  }
}
