import type { Express, Request } from 'express';
import { RefreshTokenRequest, WEBCHAT_REFRESH_PATH, WEBCHAT_TOKEN_PATH, WebchatTokenRequest } from '@webchat/contracts';
import { AppError, parseWith } from '@webchat/http-kit';
import { resolveDeploymentKey, type AccountLookup } from '../domain/accounts';
import { mintGuestToken, refreshGuestToken, type WebchatTokenDeps } from '../domain/webchat-tokens';
import type { OriginRefusals } from '../domain/origin-refusals';
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

export function mountWebchatTokenRoutes(app: Express, deps: WebchatTokenDeps & { accounts: AccountLookup; refusals?: OriginRefusals }): void {
  app.post(WEBCHAT_TOKEN_PATH, async (req, res) => {
    const input = parseWith(WebchatTokenRequest, normaliseBody(req));
    // Read once and kept in request scope until the response ends (the diagram's "keeps configurations locally").
    const account = await resolveDeploymentKey(deps.accounts, input.deploymentKey);
    res.locals.account = account;
    enforceAccountCors(res, account, req.get('origin'), deps.refusals);
    const token = await mintGuestToken(deps, account, signalsOf(req), input.identity);
    res.status(200).json(token);
  });

  app.post(WEBCHAT_REFRESH_PATH, async (req, res) => {
    const input = parseWith(RefreshTokenRequest, normaliseBody(req));
    const account = await resolveDeploymentKey(deps.accounts, input.deploymentKey);
    res.locals.account = account;
    enforceAccountCors(res, account, req.get('origin'), deps.refusals);
    const token = await refreshGuestToken(deps, account, input.token, signalsOf(req));
    res.status(200).json(token);
  });
}
