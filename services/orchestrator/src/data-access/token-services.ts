import {
  CreateFederatedTokenResponse,
  SCOPED_AUTH_VALIDATE_PATH,
  ValidateScopedTokenResponse,
  federatedTokensPath,
} from '@webchat/contracts';
import { InternalClient } from '@webchat/internal-client';
import type { ServiceTokenSigner } from '@webchat/service-auth';
import type { TokenServices } from '../domain/token-services';

export type { TokenServices };

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
