import http from 'node:http';
import axios, { AxiosError, type AxiosInstance } from 'axios';
import type { z } from 'zod';
import { ErrorCodeSchema, Problem } from '@webchat/contracts';
import { currentRequestId } from '@webchat/logger';
import { AppError } from '@webchat/errors';
import { SERVER_KEEP_ALIVE_TIMEOUT_MS } from '@webchat/http-kit';
import type { ServiceTokenSigner } from '@webchat/service-auth';

/** Below the servers' keepAliveTimeout, so we never reuse a socket the server is about to close. */
export const CLIENT_IDLE_SOCKET_TIMEOUT_MS = SERVER_KEEP_ALIVE_TIMEOUT_MS - 4_000;

export interface InternalClientOptions {
  /** The callee's name: the service token's audience and the name in error messages. */
  service: string;
  baseUrl: string;
  signer: ServiceTokenSigner;
  timeoutMs: number;
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
  readonly agent: http.Agent;

  constructor(private readonly options: InternalClientOptions) {
    this.agent = new http.Agent({
      keepAlive: true,
      timeout: CLIENT_IDLE_SOCKET_TIMEOUT_MS,
      maxSockets: options.maxSockets ?? 256,
      scheduling: 'lifo',
    });
    this.http = axios.create({
      baseURL: options.baseUrl,
      httpAgent: this.agent,
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
    // axios' `timeout` is an idle timer that every received byte resets, so a callee that trickles its
    // answer would hold us for ever; this is the call's overall deadline. One timer, cleared when the call
    // settles (AbortSignal.timeout's stays armed, and alive, for the whole timeout after every call).
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.options.timeoutMs);
    let response;
    try {
      response = await this.http.request({ method, url: path, data: body, headers, signal: deadline.signal });
    } catch (err) {
      throw deadline.signal.aborted ? timedOut(service, err) : mapTransportError(service, err);
    } finally {
      clearTimeout(timer);
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

  close(): void {
    this.agent.destroy();
  }
}

const timedOut = (service: string, err: unknown) => new AppError('upstream_timeout', `${service} did not answer in time`, { cause: err });

function mapTransportError(service: string, err: unknown): AppError {
  if (err instanceof AxiosError) {
    if (err.code === 'ETIMEDOUT' || err.code === 'ECONNABORTED') return timedOut(service, err);
    return new AppError('upstream_unavailable', `${service} is unavailable`, { cause: err });
  }
  return new AppError('upstream_unavailable', `${service} is unavailable`, { cause: err });
}
