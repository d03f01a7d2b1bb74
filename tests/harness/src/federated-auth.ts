import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { federatedTokensPath, type CreateFederatedTokenRequest } from '@webchat/contracts';
import { listen } from '@webchat/http-kit';
import { createLogger, type Logger } from '@webchat/logger';
import type { ServiceTokenSigner } from '@webchat/service-auth';
import { buildFederatedAuth } from '@webchat/federated-auth/src/compose';
import type { ServiceIdentities } from './keys';
import { request, type HttpResult, type RequestOptions } from './service-http';

export interface FederatedAuthUnderTest {
  url: string;
  /** The signer federated-auth uses towards scoped-auth (its cached token is what went over the wire). */
  signer: ServiceTokenSigner;
  close(): Promise<void>;
  /** POST /v1/Accounts/{sid}/Tokens as the orchestrator (or with `options.token`). */
  issue(accountSid: string, body?: CreateFederatedTokenRequest, options?: RequestOptions): Promise<HttpResult>;
}

export interface FederatedAuthStartOptions {
  services: ServiceIdentities;
  scopedAuthUrl: string;
  timeoutMs?: number;
  defaultTokenTtlSeconds?: number;
  logger?: Logger;
}

/** A real federated-auth on an ephemeral port, calling scoped-auth (or whatever listens at scopedAuthUrl) over HTTP. */
export async function startFederatedAuth(options: FederatedAuthStartOptions): Promise<FederatedAuthUnderTest> {
  const federatedAuth = buildFederatedAuth(
    {
      host: '127.0.0.1',
      port: 0,
      logLevel: 'error',
      logIdentityKey: randomBytes(32),
      contractViolations: 'fail',
      defaultTokenTtlSeconds: options.defaultTokenTtlSeconds ?? 3600,
      scopedAuth: { url: options.scopedAuthUrl, timeoutMs: options.timeoutMs ?? 2000 },
      serviceAuth: { privateKey: options.services.privateKeys['federated-auth'], publicKeys: { ...options.services.publicKeys } },
    },
    { logger: options.logger ?? createLogger({ service: 'federated-auth', level: 'error', stream: new PassThrough() }) },
  );
  const running = await listen({ app: federatedAuth.app, port: 0, lifecycle: federatedAuth.lifecycle, drainTimeoutMs: 1000 });
  const orchestrator = options.services.signer('orchestrator');
  return {
    url: running.url,
    signer: federatedAuth.signer,
    close: async () => {
      await running.close();
      await federatedAuth.close();
    },
    issue: (accountSid, body, requestOptions = {}) =>
      request(`${running.url}${federatedTokensPath(accountSid)}`, {
        method: 'POST',
        ...(body !== undefined ? { json: body } : {}),
        token: orchestrator.tokenFor('federated-auth'),
        ...requestOptions,
      }),
  };
}

export interface FakeUpstream {
  url: string;
  /** Requests it received, to prove a call was (or was not) made. */
  hits: number;
  close(): Promise<void>;
}

/** A real HTTP server standing in for a misbehaving scoped-auth (slow, failing, lying). */
export async function startFakeUpstream(handler: http.RequestListener): Promise<FakeUpstream> {
  const server = http.createServer((req, res) => {
    upstream.hits += 1;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const upstream: FakeUpstream = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return upstream;
}
