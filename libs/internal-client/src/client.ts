import axios, { AxiosError, type AxiosInstance } from 'axios';
import { Pool } from 'undici';
import type { z } from 'zod';
import { ErrorCodeSchema, Problem } from '@webchat/contracts';
import { currentRequestId } from '@webchat/logger';
import { AppError } from '@webchat/errors';
import { SERVER_KEEP_ALIVE_TIMEOUT_MS } from '@webchat/http-kit';
import type { ServiceTokenSigner } from '@webchat/service-auth';
import { undiciAdapter } from './undici-adapter';

/** Below the servers' keepAliveTimeout, so we never reuse a socket the server is about to close. */
export const CLIENT_IDLE_SOCKET_TIMEOUT_MS = SERVER_KEEP_ALIVE_TIMEOUT_MS - 4_000;
/**
 * A server that announces its keep-alive timeout (`Keep-Alive: timeout=N`, as ours and Node's do) gets its
 * idle sockets given up this much before it would close them (and never later than CLIENT_IDLE_SOCKET_TIMEOUT_MS).
 */
export const CLIENT_KEEP_ALIVE_MARGIN_MS = 2_000;

export interface InternalClientOptions {
  /** The callee's name: the service token's audience and the name in error messages. */
  service: string;
  baseUrl: string;
  signer: ServiceTokenSigner;
  timeoutMs: number;
  /** Connections to the callee at most (the calls beyond wait for one); default 256. */
  maxSockets?: number;
}

/**
 * Codes about the guest's token that mean the same to our caller. Anything else (a 400 included: we
 * validate with the same contract before calling, so a callee's 400 is a drift between us) is our fault.
 */
const PASS_THROUGH = new Set([
  'token_invalid',
  'token_expired',
  'fingerprint_mismatch',
  'fingerprint_required',
  'session_expired',
]);

export class InternalClient {
  readonly http: AxiosInstance;
  /** Keep-alive connections to the callee (undici: axios's own http adapter costs ~330 µs more per call). */
  readonly pool: Pool;

  constructor(private readonly options: InternalClientOptions) {
    this.pool = new Pool(new URL(options.baseUrl).origin, {
      connections: options.maxSockets ?? 256,
      keepAliveTimeout: CLIENT_IDLE_SOCKET_TIMEOUT_MS,
      keepAliveMaxTimeout: CLIENT_IDLE_SOCKET_TIMEOUT_MS,
      keepAliveTimeoutThreshold: CLIENT_KEEP_ALIVE_MARGIN_MS,
    });
    this.http = axios.create({
      baseURL: options.baseUrl,
      adapter: undiciAdapter(this.pool, options.baseUrl),
      // The call's overall deadline (the adapter's one timer per call), not an idle timer.
      timeout: options.timeoutMs,
      maxRedirects: 0,
      proxy: false,
      // Every status comes back as a value: the mapping below decides what it means.
      validateStatus: () => true,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      transitional: { clarifyTimeoutError: true },
    });
  }

  async post<S extends z.ZodType>(path: string, body: unknown, responseSchema: S): Promise<z.output<S>> {
    return this.request('post', path, body, responseSchema);
  }

  async request<S extends z.ZodType>(method: 'get' | 'post', path: string, body: unknown, responseSchema: S): Promise<z.output<S>> {
    const { service } = this.options;
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.signer.tokenFor(service)}` };
    const requestId = currentRequestId();
    if (requestId) headers['x-request-id'] = requestId;
    let response;
    try {
      response = await this.http.request({ method, url: path, data: body, headers });
    } catch (err) {
      throw mapTransportError(service, err);
    }
    const { status, data } = response;
    if (status >= 200 && status < 300) {
      const parsed = responseSchema.safeParse(data);
      if (!parsed.success) throw new AppError('upstream_error', `${service} answered with an unexpected body`);
      return parsed.data;
    }
    if (status >= 500) throw new AppError('upstream_error', `${service} failed (${status})`);
    const problem = Problem.safeParse(data);
    if (problem.success && PASS_THROUGH.has(problem.data.code) && ErrorCodeSchema.safeParse(problem.data.code).success) {
      throw new AppError(problem.data.code, problem.data.detail, { status: problem.data.status, ...(problem.data.errors ? { errors: problem.data.errors } : {}) });
    }
    // A 4xx we did not expect (service auth refused, a contract drift) is a fault between services, not the guest's.
    throw new AppError('upstream_error', `${service} refused the call (${status}${problem.success ? ` ${problem.data.code}` : ''})`);
  }

  /** Closes every connection to the callee; calls still in flight fail as upstream_unavailable. */
  close(): Promise<void> {
    return this.pool.destroy();
  }
}

const timedOut = (service: string, err: unknown) => new AppError('upstream_timeout', `${service} did not answer in time`, { cause: err });

/** The adapter's deadline (ETIMEDOUT) is a timeout; anything else (refused, reset, closed) means the callee is not there. */
function mapTransportError(service: string, err: unknown): AppError {
  if (err instanceof AxiosError && (err.code === 'ETIMEDOUT' || err.code === 'ECONNABORTED')) return timedOut(service, err);
  return new AppError('upstream_unavailable', `${service} is unavailable`, { cause: err });
}
