import type { Request, Response } from 'express';
import { createWebchatTokenRoute, refreshWebchatTokenRoute } from '@webchat/contracts';
import { AppError } from '@webchat/errors';
import type { RouteMounter } from '@webchat/http-kit';
import { resolveDeploymentKey, type AccountLookup, type AccountView } from '../domain/accounts';
import type { Guest } from '../domain/web-channels';
import { mintGuestToken, refreshGuestToken, type IdentityProof, type WebchatTokenDeps } from '../domain/webchat-tokens';
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

/**
 * The deployment key is public, so a bare identity proves nothing (issue 12): it is refused by name,
 * never silently replaced, so an integration that still sends one learns what to send instead.
 */
function tokenBody(req: Request): Record<string, unknown> {
  const body = normaliseBody(req);
  if ('identity' in body) {
    throw new AppError('identity_proof_required', 'An identity is kept only with proof: send the previous token as previousToken, or a signed identityToken');
  }
  return body;
}

function proofOf(input: { previousToken?: string | undefined; identityToken?: string | undefined }): IdentityProof {
  if (input.previousToken !== undefined && input.identityToken !== undefined) {
    throw new AppError('invalid_request', 'Send one proof of identity: previousToken or identityToken, not both', {
      errors: [{ field: 'identityToken', message: 'must not be sent with previousToken' }],
    });
  }
  if (input.previousToken !== undefined) return { previousToken: input.previousToken };
  if (input.identityToken !== undefined) return { identityToken: input.identityToken };
  return undefined;
}

export function mountWebchatTokenRoutes(routes: RouteMounter<Guest>, deps: WebchatTokenDeps & { accounts: AccountLookup; refusals?: OriginRefusals }): void {
  // Read once and kept in request scope until the response ends (the diagram's "keeps configurations locally").
  async function accountFor(req: Request, res: Response, deploymentKey: string): Promise<AccountView> {
    const account = await resolveDeploymentKey(deps.accounts, deploymentKey);
    res.locals.account = account;
    enforceAccountCors(res, account, req.get('origin'), deps.refusals);
    return account;
  }

  routes.mount(
    createWebchatTokenRoute,
    async ({ req, res, body, count }) => {
      const proof = proofOf(body);
      const account = await accountFor(req, res, body.deploymentKey);
      const onMinted = (bound: boolean) => count.issued.inc({ fingerprint_bound: String(bound) });
      return mintGuestToken({ ...deps, onMinted }, account, signalsOf(req), proof);
    },
    { body: tokenBody },
  );

  routes.mount(
    refreshWebchatTokenRoute,
    async ({ req, res, body, count }) => {
      const account = await accountFor(req, res, body.deploymentKey);
      const onMinted = (bound: boolean) => count.issued.inc({ fingerprint_bound: String(bound) });
      return refreshGuestToken({ ...deps, onMinted }, account, body.token, signalsOf(req));
    },
    { body: normaliseBody },
  );
}
