import type { IncomingHttpHeaders } from 'node:http';
import { AxiosError, AxiosHeaders, CanceledError, type AxiosAdapter, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import type { Dispatcher } from 'undici';

/**
 * An axios adapter that hands the bytes to an undici dispatcher (a Pool for the callee's origin).
 * axios stays the client's API (config, headers, request and response transforms, validateStatus,
 * AxiosError); only the transport changes: axios's own http adapter costs ~330 µs of CPU per call more
 * than undici (issue 17).
 *
 * `timeout` here is the call's overall deadline (as axios documents it, and as its fetch and xhr
 * adapters do), one timer per call: axios's http adapter arms an idle timer that every received byte
 * resets, so a callee trickling its answer would never time out.
 *
 * What the internal client does not use is refused with ERR_NOT_SUPPORT, not silently ignored.
 */
export function undiciAdapter(dispatcher: Dispatcher, baseUrl: string): AxiosAdapter {
  // The dispatcher is bound to the origin; a base path (http://host/prefix) is kept in front of every path.
  const prefix = new URL(baseUrl).pathname.replace(/\/+$/, '');
  return (config) =>
    new Promise<AxiosResponse>((resolve, reject) => {
      const unsupported = unsupportedOption(config, baseUrl);
      if (unsupported) return reject(new AxiosError(`the undici adapter does not support ${unsupported}`, AxiosError.ERR_NOT_SUPPORT, config));
      const body = config.data as unknown;
      if (body != null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
        return reject(new AxiosError('the undici adapter sends a string or bytes only', AxiosError.ERR_NOT_SUPPORT, config));
      }
      const call = new Call(config, resolve, reject);
      if (call.settled) return;
      dispatcher.dispatch(
        {
          method: (config.method ?? 'get').toUpperCase() as Dispatcher.HttpMethod,
          path: `${prefix}${config.url ?? '/'}`,
          headers: (config.headers as AxiosHeaders).toJSON(true),
          body: (body ?? null) as string | Uint8Array | null,
        },
        call,
      );
    });
}

/** Options with no meaning here (or a URL for another origin): a call that asks for one fails at once. */
function unsupportedOption(config: InternalAxiosRequestConfig, baseUrl: string): string | undefined {
  if (config.baseURL !== baseUrl) return `a baseURL other than the dispatcher's (${baseUrl})`;
  if (config.url && !config.url.startsWith('/')) return `a URL that is not a path (${config.url})`;
  if (config.params && Object.keys(config.params as object).length > 0) return 'params (put the query in the path)';
  if (config.cancelToken) return 'cancelToken (pass a signal)';
  if (config.auth) return 'auth (send an authorization header)';
  if (config.onUploadProgress || config.onDownloadProgress) return 'progress callbacks';
  if (config.responseType && config.responseType !== 'json' && config.responseType !== 'text' && config.responseType !== 'arraybuffer') {
    return `responseType ${config.responseType}`;
  }
  return undefined;
}

/** One call's handler: collects the answer, holds the deadline, and settles axios's promise exactly once. */
class Call implements Dispatcher.DispatchHandler {
  settled = false;
  private controller: Dispatcher.DispatchController | undefined;
  private reason: Error | undefined;
  private status = 0;
  private statusText = '';
  private headers: IncomingHttpHeaders = {};
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly onAbort: (() => void) | undefined;

  constructor(
    private readonly config: InternalAxiosRequestConfig,
    private readonly resolve: (response: AxiosResponse) => void,
    private readonly reject: (error: Error) => void,
  ) {
    const { timeout, signal } = config;
    if (signal?.aborted) {
      this.fail(new CanceledError(undefined, config));
      return;
    }
    if (timeout && timeout > 0) this.timer = setTimeout(() => this.fail(timedOut(config)), timeout);
    if (signal?.addEventListener) {
      this.onAbort = () => this.fail(new CanceledError(undefined, config));
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Given up while it waited for a socket (deadline, cancel): it is never sent.
    if (this.settled) controller.abort(this.reason ?? new CanceledError(undefined, this.config));
    else this.controller = controller;
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    this.status = statusCode;
    this.headers = headers;
    this.statusText = statusMessage ?? '';
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const { maxContentLength } = this.config;
    if (maxContentLength !== undefined && maxContentLength > -1 && this.size > maxContentLength) {
      this.fail(new AxiosError(`maxContentLength size of ${maxContentLength} exceeded`, AxiosError.ERR_BAD_RESPONSE, this.config));
    }
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.settle();
    const { config, status } = this;
    const bytes = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    const response: AxiosResponse = {
      data: config.responseType === 'arraybuffer' ? bytes : bytes.toString((config.responseEncoding as BufferEncoding | undefined) ?? 'utf8'),
      status,
      statusText: this.statusText,
      headers: new AxiosHeaders(this.headers as Record<string, string>),
      config,
      request: null,
    };
    // axios's settle(): validateStatus decides what is an error (the internal client takes every status as a value).
    if (!config.validateStatus || config.validateStatus(status)) return this.resolve(response);
    const code = status >= 400 && status < 500 ? AxiosError.ERR_BAD_REQUEST : AxiosError.ERR_BAD_RESPONSE;
    this.reject(new AxiosError(`Request failed with status code ${status}`, code, config, null, response));
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    // Refused, reset, closed mid-answer: the transport's code (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET) is kept.
    this.fail(AxiosError.from(error, (error as { code?: string }).code, this.config), false);
  }

  private settle(): void {
    this.settled = true;
    clearTimeout(this.timer);
    if (this.onAbort) this.config.signal?.removeEventListener?.('abort', this.onAbort);
  }

  private fail(error: Error, abort = true): void {
    if (this.settled) return;
    this.settle();
    this.reason = error;
    if (abort) this.controller?.abort(error);
    this.reject(error);
  }
}

function timedOut(config: InternalAxiosRequestConfig): AxiosError {
  const code = config.transitional?.clarifyTimeoutError ? AxiosError.ETIMEDOUT : AxiosError.ECONNABORTED;
  return new AxiosError(config.timeoutErrorMessage ?? `timeout of ${config.timeout}ms exceeded`, code, config);
}
