import {
  GenerateScopedTokenResponse,
  SCOPED_AUTH_GENERATE_PATH,
  type GenerateScopedTokenRequest,
  type VerifiedGuest,
} from '@webchat/contracts';
import { AppError } from '@webchat/errors';
import type { InternalClient } from '@webchat/internal-client';
import { composeGuestGrants } from './grants';

export interface IssueInput {
  accountSid: string;
  addressSid?: string | undefined;
  fingerprint?: string | undefined;
  identity?: string | undefined;
  ttl?: number | undefined;
  sessionStartedAt?: number | undefined;
  deploymentKeyId?: string | undefined;
  verifiedGuest?: VerifiedGuest | undefined;
}

/** Same leeway as scoped-auth's default, so the two services agree on what "in the future" means. */
export const CLOCK_TOLERANCE_SECONDS = 5;

/**
 * Composes the guest's grants and has scoped-auth mint the token. Downstream faults come out of the
 * InternalClient already mapped (503 refused, 504 timeout, 502 5xx or refusal), never as a 500.
 */
export class TokenIssuer {
  private readonly now: () => number;

  constructor(
    private readonly scopedAuth: InternalClient,
    private readonly defaultTtlSeconds: number,
    /** Epoch seconds. */
    now?: () => number,
  ) {
    this.now = now ?? (() => Math.floor(Date.now() / 1000));
  }

  async issue(input: IssueInput): Promise<GenerateScopedTokenResponse> {
    // Checked here, not left to scoped-auth: a 400 from a callee reads as contract drift (502) to the InternalClient.
    if (input.sessionStartedAt !== undefined && input.sessionStartedAt > this.now() + CLOCK_TOLERANCE_SECONDS) {
      throw new AppError('invalid_request', 'The body is not valid: sessionStartedAt: must not be in the future', {
        errors: [{ field: 'sessionStartedAt', message: 'must not be in the future' }],
      });
    }
    const request: GenerateScopedTokenRequest = {
      accountSid: input.accountSid,
      grants: composeGuestGrants(input.accountSid, input.addressSid),
      ttl: input.ttl ?? this.defaultTtlSeconds,
      // Always: the token travels through the browser and localStorage, so its claims stay opaque.
      encrypt: true,
      ...(input.fingerprint !== undefined ? { fingerprint: input.fingerprint } : {}),
      ...(input.identity !== undefined ? { identity: input.identity } : {}),
      ...(input.sessionStartedAt !== undefined ? { sessionStartedAt: input.sessionStartedAt } : {}),
      ...(input.deploymentKeyId !== undefined ? { deploymentKeyId: input.deploymentKeyId } : {}),
      ...(input.verifiedGuest !== undefined ? { verifiedGuest: input.verifiedGuest } : {}),
    };
    return this.scopedAuth.post(SCOPED_AUTH_GENERATE_PATH, request, GenerateScopedTokenResponse);
  }
}
