import {
  CreateFederatedTokenResponse,
  SCOPED_AUTH_VALIDATE_PATH,
  ValidateScopedTokenResponse,
  federatedTokensPath,
  type CreateFederatedTokenRequest,
  type ValidateScopedTokenRequest,
} from '@webchat/contracts';
import { InternalClient } from '@webchat/internal-client';
import type { ServiceTokenSigner } from '@webchat/service-auth';

/** The two token services as the orchestrator sees them: mint through federated-auth, validate at scoped-auth. */
export interface TokenServices {
  createToken(accountSid: string, body: CreateFederatedTokenRequest): Promise<CreateFederatedTokenResponse>;
  validateToken(body: ValidateScopedTokenRequest): Promise<ValidateScopedTokenResponse>;
  close(): void;
}

export function createTokenServices(options: {
  signer: ServiceTokenSigner;
  federatedAuthUrl: string;
  federatedAuthTimeoutMs: number;
  scopedAuthUrl: string;
  scopedAuthTimeoutMs: number;
}): TokenServices {
  const federated = new InternalClient({ service: 'federated-auth', baseUrl: options.federatedAuthUrl, signer: options.signer, timeoutMs: options.federatedAuthTimeoutMs });
  const scoped = new InternalClient({ service: 'scoped-auth', baseUrl: options.scopedAuthUrl, signer: options.signer, timeoutMs: options.scopedAuthTimeoutMs });
  return {
    createToken: (accountSid, body) => federated.post(federatedTokensPath(accountSid), body, CreateFederatedTokenResponse),
    validateToken: (body) => scoped.post(SCOPED_AUTH_VALIDATE_PATH, body, ValidateScopedTokenResponse),
    close: () => {
      federated.close();
      scoped.close();
    },
  };
}
