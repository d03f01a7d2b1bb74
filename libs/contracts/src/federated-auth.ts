import { z } from 'zod';
import { AccountSid, AddressSid, DeploymentKeyId, EpochSeconds, Fingerprint, Identity, TokenResponse, Ttl, VerifiedGuest } from './common';

export const federatedTokensPath = (accountSid: string) => `/v1/Accounts/${accountSid}/Tokens`;
export const FEDERATED_TOKENS_ROUTE = '/v1/Accounts/:accountSid/Tokens';

export const FederatedTokensParams = z.strictObject({ accountSid: AccountSid });

export const CreateFederatedTokenRequest = z.strictObject({
  fingerprint: Fingerprint.optional(),
  addressSid: AddressSid.optional(),
  ttl: Ttl.optional(),
  identity: Identity.optional(),
  sessionStartedAt: EpochSeconds.optional(),
  deploymentKeyId: DeploymentKeyId.optional(),
  verifiedGuest: VerifiedGuest.optional(),
});
export type CreateFederatedTokenRequest = z.input<typeof CreateFederatedTokenRequest>;

export const CreateFederatedTokenResponse = TokenResponse;
export type CreateFederatedTokenResponse = z.infer<typeof CreateFederatedTokenResponse>;

/**
 * The grants federated-auth composes for a webchat guest. scoped-auth signs them as an opaque object;
 * the orchestrator reads them back from validate. Readers should ignore unknown fields (grants may grow).
 */
export const WebchatGuestGrants = z.object({
  webchat: z.object({
    role: z.literal('guest'),
    accountSid: AccountSid,
    addressSid: AddressSid.optional(),
  }),
});
export type WebchatGuestGrants = z.infer<typeof WebchatGuestGrants>;
