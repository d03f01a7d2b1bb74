import { AppError } from '@webchat/errors';
import type { AccountConfiguration, AccountRepository } from '../data-access/account-repository';
import { isStoreUnavailable } from '../data-access/pool';

/** What the orchestrator keeps of an account for one request (the diagram's "configurations"). */
export type AccountView = AccountConfiguration;

export type AccountLookup = Pick<AccountRepository, 'findConfigurationByDeploymentKey' | 'getAccount'>;

/** Maps "the database is not serving us" to 503 `store_unavailable`; anything else is a bug and stays a 500. */
export async function fromStore<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isStoreUnavailable(err)) throw new AppError('store_unavailable', 'The account store is unavailable; try again shortly', { cause: err });
    throw err;
  }
}

/**
 * Unknown key, revoked key and suspended account are one answer, byte for byte: a caller holding a
 * key learns only that it does not work, never which case it is.
 */
export const deploymentKeyInvalid = () => new AppError('deployment_key_invalid', 'The deployment key is not valid for any active account');

export async function resolveDeploymentKey(store: AccountLookup, deploymentKey: string): Promise<AccountView> {
  const account = await fromStore(() => store.findConfigurationByDeploymentKey(deploymentKey));
  if (!account || account.keyStatus !== 'active' || account.accountStatus !== 'active') throw deploymentKeyInvalid();
  return account;
}
