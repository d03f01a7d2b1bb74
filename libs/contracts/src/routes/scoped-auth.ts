import { declareRoute, type RouteSpec } from '../route';
import {
  SCOPED_AUTH_GENERATE_PATH, SCOPED_AUTH_VALIDATE_PATH, GenerateScopedTokenRequest, GenerateScopedTokenResponse, ValidateScopedTokenRequest,
  ValidateScopedTokenResponse,
} from '../scoped-auth';

export const generateScopedTokenRoute = declareRoute({
  method: 'post', path: SCOPED_AUTH_GENERATE_PATH, operationId: 'generateScopedToken', callers: { services: ['federated-auth'] }, cache: 'no-store',
  summary: 'Mint a scoped guest token (signed JWT, optionally in a JWE)', body: GenerateScopedTokenRequest,
  responses: { 200: { description: 'The token', schema: GenerateScopedTokenResponse } }, problems: [401, 403, 413, 415],
  counters: { minted: { name: 'tokens_minted_total', help: 'Guest tokens minted', labels: ['encrypted', 'fingerprint_bound'] } },
});

export const validateScopedTokenRoute = declareRoute({
  method: 'post', path: SCOPED_AUTH_VALIDATE_PATH, operationId: 'validateScopedToken', callers: { services: ['orchestrator'] }, cache: 'no-store',
  summary: 'Validate a scoped guest token', body: ValidateScopedTokenRequest,
  responses: { 200: { description: 'The token is valid', schema: ValidateScopedTokenResponse } }, problems: [401, 403, 413, 415],
  counters: { validations: { name: 'token_validations_total', help: 'Token validations by result (valid or the refusal code)', labels: ['result'] } },
});

export const scopedAuthRoutes: readonly RouteSpec[] = [generateScopedTokenRoute, validateScopedTokenRoute];
