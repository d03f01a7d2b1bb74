import type { Express, Request } from 'express';
import { RefreshTokenRequest, WEBCHAT_REFRESH_PATH, WEBCHAT_TOKEN_PATH, WebchatTokenRequest } from '@webchat/contracts';
import { AppError, parseWith } from '@webchat/http-kit';
import { resolveDeploymentKey, type AccountLookup } from '../domain/accounts';
import { mintGuestToken, refreshGuestToken, type IdentityProof, type WebchatTokenDeps } from '../domain/webchat-tokens';
import { enforceAccountCors } from './cors';
import { signalsOf } from './signals';

/**
 * Forms arrive as flat strings and older embeds spell the key `DeploymentKey`: fold both into the
 * contract's shape before validating, so JSON and form requests share one schema.
 */
function normaliseBody(req: Request): Record<string, unknown> {
  const body: unknown = req.body ?? {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new AppError('invalid_request', 'The body must be an object');
  const out: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  if ('DeploymentKey' in out) {
    if (out.deploymentKey === undefined) out.deploymentKey = out.DeploymentKey;
    delete out.DeploymentKey;
  }
  if (typeof out.preEngagementData === 'string' && req.is('application/x-www-form-urlencoded')) {
    try {
      out.preEngagementData = JSON.parse(out.preEngagementData);
    } catch {
      throw new AppError('invalid_request', 'preEngagementData must be a JSON object', {
        errors: [{ field: 'preEngagementData', message: 'must be a JSON object' }],
      });
    }
  }
  return out;
}

/**
 * The deployment key is public, so a bare identity proves nothing (issue 12): it is refused by name,
 * never silently replaced, so an integration that still sends one learns what to send instead.
 */
function proofOf(body: Record<string, unknown>, input: { previousToken?: string | undefined; identityToken?: string | undefined }): IdentityProof {
  if ('identity' in body) {
    throw new AppError('identity_proof_required', 'An identity is kept only with proof: send the previous token as previousToken, or a signed identityToken');
  }
  if (input.previousToken !== undefined && input.identityToken !== undefined) {
    throw new AppError('invalid_request', 'Send one proof of identity: previousToken or identityToken, not both', {
      errors: [{ field: 'identityToken', message: 'must not be sent with previousToken' }],
    });
  }
  if (input.previousToken !== undefined) return { previousToken: input.previousToken };
  if (input.identityToken !== undefined) return { identityToken: input.identityToken };
  return undefined;
}

export function mountWebchatTokenRoutes(app: Express, deps: WebchatTokenDeps & { accounts: AccountLookup }): void {
  app.post(WEBCHAT_TOKEN_PATH, async (req, res) => {
    const body = normaliseBody(req);
    const { identity: _refused, ...rest } = body;
    const input = parseWith(WebchatTokenRequest, rest);
    const proof = proofOf(body, input);
    // Read once and kept in request scope until the response ends (the diagram's "keeps configurations locally").
    const account = await resolveDeploymentKey(deps.accounts, input.deploymentKey);
    res.locals.account = account;
    enforceAccountCors(res, account.allowedOrigins, req.get('origin'));
    const token = await mintGuestToken(deps, account, signalsOf(req), proof);
    res.status(200).json(token);
  });

  app.post(WEBCHAT_REFRESH_PATH, async (req, res) => {
    const input = parseWith(RefreshTokenRequest, normaliseBody(req));
    const account = await resolveDeploymentKey(deps.accounts, input.deploymentKey);
    res.locals.account = account;
    enforceAccountCors(res, account.allowedOrigins, req.get('origin'));
    const token = await refreshGuestToken(deps, account, input.token, signalsOf(req));
    res.status(200).json(token);
  });
}
