import { declareRoute, type RouteSpec } from '../route';
import { FEDERATED_TOKENS_ROUTE, FederatedTokensParams, CreateFederatedTokenRequest, CreateFederatedTokenResponse } from '../federated-auth';

export const createAccountTokenRoute = declareRoute({
  method: 'post', path: FEDERATED_TOKENS_ROUTE, operationId: 'createAccountToken', callers: { services: ['orchestrator'] }, cache: 'no-store',
  summary: "Compose the guest's grants for the account and mint its token", params: FederatedTokensParams, body: CreateFederatedTokenRequest,
  responses: { 200: { description: 'The token', schema: CreateFederatedTokenResponse } }, problems: [401, 403, 413, 415, 502, 503, 504],
  counters: {
    issued: { name: 'federated_tokens_total', help: 'Token requests by result (issued or the error code)', labels: ['result', 'fingerprint_bound'] },
  },
});

export const federatedAuthRoutes: readonly RouteSpec[] = [createAccountTokenRoute];
