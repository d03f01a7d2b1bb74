import type {
  CreateFederatedTokenRequest,
  CreateFederatedTokenResponse,
  ValidateScopedTokenRequest,
  ValidateScopedTokenResponse,
} from '@webchat/contracts';

/** The two token services as the orchestrator sees them: mint through federated-auth, validate at scoped-auth. */
export interface TokenServices {
  createToken(accountSid: string, body: CreateFederatedTokenRequest): Promise<CreateFederatedTokenResponse>;
  validateToken(body: ValidateScopedTokenRequest): Promise<ValidateScopedTokenResponse>;
  close(): void;
}
