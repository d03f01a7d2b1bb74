import { randomBytes, randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { SCOPED_AUTH_GENERATE_PATH, SCOPED_AUTH_VALIDATE_PATH, type GenerateScopedTokenRequest } from '@webchat/contracts';
import { listen } from '@webchat/http-kit';
import { createLogger, type Logger } from '@webchat/logger';
import { buildScopedAuth } from '@webchat/scoped-auth/src/compose';
import type { TokenKeyMaterial } from '@webchat/scoped-auth/src/domain/key-material';
import type { TokenSettings } from '@webchat/scoped-auth/src/domain/token-service';
import { keyMaterial, type ServiceIdentities } from './keys';
import { post, type HttpResult } from './service-http';

export const TEST_TOKEN_SETTINGS: TokenSettings = { issuer: 'urn:webchat:scoped-auth', audience: 'urn:webchat:guest', clockToleranceSeconds: 5 };

export interface ScopedAuthUnderTest {
  url: string;
  material: TokenKeyMaterial;
  close(): Promise<void>;
  /** Mints through the real endpoint as federated-auth. */
  generate(body: GenerateScopedTokenRequest): Promise<HttpResult>;
  /** Validates through the real endpoint as the orchestrator. */
  validate(token: string, fingerprint?: string, extra?: Record<string, unknown>): Promise<HttpResult>;
}

export interface ScopedAuthStartOptions {
  services: ServiceIdentities;
  material?: TokenKeyMaterial;
  settings?: Partial<TokenSettings>;
  /** Epoch seconds. */
  now?: () => number;
  logger?: Logger;
}

/** A real scoped-auth on an ephemeral port. */
export async function startScopedAuth(options: ScopedAuthStartOptions): Promise<ScopedAuthUnderTest> {
  const material = options.material ?? keyMaterial();
  const { app, lifecycle } = await buildScopedAuth(
    {
      host: '127.0.0.1',
      port: 0,
      logLevel: 'error',
      logIdentityKey: randomBytes(32),
      contractViolations: 'fail',
      token: { ...TEST_TOKEN_SETTINGS, ...options.settings },
      keys: material,
      serviceAuth: { publicKeys: { ...options.services.publicKeys } },
    },
    {
      logger: options.logger ?? createLogger({ service: 'scoped-auth', level: 'error', stream: new PassThrough() }),
      ...(options.now ? { now: options.now } : {}),
    },
  );
  const running = await listen({ app, port: 0, lifecycle, drainTimeoutMs: 1000 });
  const federated = options.services.signer('federated-auth');
  const orchestrator = options.services.signer('orchestrator');
  return {
    url: running.url,
    material,
    close: () => running.close(),
    generate: (body) => post(`${running.url}${SCOPED_AUTH_GENERATE_PATH}`, body, federated.tokenFor('scoped-auth')),
    validate: (token, fingerprint, extra = {}) =>
      post(
        `${running.url}${SCOPED_AUTH_VALIDATE_PATH}`,
        { token, ...(fingerprint !== undefined ? { fingerprint } : {}), ...extra },
        orchestrator.tokenFor('scoped-auth'),
      ),
  };
}

export const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
export const ADDRESS_SID = `IG${'fedcba9876543210'.repeat(2)}`;
export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Guest-token claims exactly as scoped-auth mints them for `accountSid`; tests that forge tokens change one at a time. */
export function guestClaims(accountSid: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = nowSeconds();
  return {
    iss: TEST_TOKEN_SETTINGS.issuer,
    sub: randomUUID(),
    aud: TEST_TOKEN_SETTINGS.audience,
    iat: now,
    nbf: now,
    exp: now + 600,
    jti: randomUUID(),
    account_sid: accountSid,
    grants: { webchat: { role: 'guest', accountSid } },
    sst: now,
    ...overrides,
  };
}
