import type { Express } from 'express';
import { WEBCHAT_CONFIGURATION_MAX_AGE, WEBCHAT_CONFIGURATION_PATH, WebchatConfigurationQuery } from '@webchat/contracts';
import { parseWith } from '@webchat/http-kit';
import { resolveDeploymentKey, type AccountLookup } from '../domain/accounts';
import type { OriginRefusals } from '../domain/origin-refusals';
import { publicConfiguration } from '../domain/widget-configuration';
import { enforceAccountCors } from './cors';

export interface WebchatConfigurationRouteDeps {
  accounts: AccountLookup;
  refusals?: OriginRefusals;
}

/**
 * The widget reads this before it shows anything. Same key and origin checks as minting; a success may be
 * reused briefly by the browser and Starship, per Origin (publicCors adds `Vary: Origin`), so a change an
 * operator makes shows within WEBCHAT_CONFIGURATION_MAX_AGE seconds. Refusals stay `no-store`.
 */
export function mountWebchatConfigurationRoute(app: Express, deps: WebchatConfigurationRouteDeps): void {
  app.get(WEBCHAT_CONFIGURATION_PATH, async (req, res) => {
    const { deploymentKey } = parseWith(WebchatConfigurationQuery, req.query, 'query');
    const account = await resolveDeploymentKey(deps.accounts, deploymentKey);
    res.locals.account = account;
    enforceAccountCors(res, account, req.get('origin'), deps.refusals);
    res.setHeader('Cache-Control', `public, max-age=${WEBCHAT_CONFIGURATION_MAX_AGE}`);
    res.status(200).json(publicConfiguration(account));
  });
}
