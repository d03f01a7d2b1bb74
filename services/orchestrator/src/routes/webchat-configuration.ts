import { getWebchatConfigurationRoute, WEBCHAT_CONFIGURATION_MAX_AGE } from '@webchat/contracts';
import type { RouteMounter } from '@webchat/http-kit';
import { resolveDeploymentKey, type AccountLookup } from '../domain/accounts';
import type { OriginRefusals } from '../domain/origin-refusals';
import type { Guest } from '../domain/web-channels';
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
export function mountWebchatConfigurationRoute(routes: RouteMounter<Guest>, deps: WebchatConfigurationRouteDeps): void {
  routes.mount(getWebchatConfigurationRoute, async ({ req, res, query }) => {
    const account = await resolveDeploymentKey(deps.accounts, query.deploymentKey);
    res.locals.account = account;
    enforceAccountCors(res, account, req.get('origin'), deps.refusals);
    res.setHeader('Cache-Control', `public, max-age=${WEBCHAT_CONFIGURATION_MAX_AGE}`);
    return publicConfiguration(account);
  });
}
