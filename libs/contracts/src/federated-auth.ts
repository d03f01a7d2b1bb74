import { z } from 'zod';
import { AccountSid, AddressSid, EpochSeconds, Fingerprint, Identity, TokenResponse, Ttl } from './common';

export const federatedTokensPath = (accountSid: string) => `/v1/Accounts/${accountSid}/Tokens`;
export const FEDERATED_TOKENS_ROUTE = '/v1/Accounts/:accountSid/Tokens';

export const FederatedTokensParams = z.strictObject({ accountSid: AccountSid });

export const CreateFederatedTokenRequest = z.strictObject({
  fingerprint: Fingerprint.optional(),
  addressSid: AddressSid.optional(),
  ttl: Ttl.optional(),
  identity: Identity.optional(),
  sessionStartedAt: EpochSeconds.optional(),
});
export type CreateFederatedTokenRequest = z.input<typeof CreateFederatedTokenRequest>;

export const CreateFederatedTokenResponse = TokenResponse;
export type CreateFederatedTokenResponse = z.infer<typeof CreateFederatedTokenResponse>;
