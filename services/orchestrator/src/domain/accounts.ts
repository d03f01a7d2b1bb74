import { AppError } from '@webchat/errors';
import type { AccountConfiguration, AccountDetails } from './account-types';

/** What the orchestrator keeps of an account for one request (the diagram's "configurations"). */
export type AccountView = AccountConfiguration;

/**
 * The account store as the domain reads it (the repository, or the cache in front of it). A store that is not
 * serving us throws; the app names that 503 `store_unavailable` (data-access/pool.ts, `storeProblem`).
 */
export interface AccountLookup {
  /** `null` only when no key matches; revoked keys and suspended accounts are returned. */
  findConfigurationByDeploymentKey(key: string): Promise<AccountConfiguration | null>;
  getAccount(sid: string): Promise<AccountDetails | null>;
}

/**
 * Unknown key, revoked key and suspended account are one answer, byte for byte: a caller holding a
 * key learns only that it does not work, never which case it is.
 */
export const deploymentKeyInvalid = () => new AppError('deployment_key_invalid', 'The deployment key is not valid for any active account');

export async function resolveDeploymentKey(store: AccountLookup, deploymentKey: string): Promise<AccountView> {
  const account = await store.findConfigurationByDeploymentKey(deploymentKey);
  if (!account || account.keyStatus !== 'active' || account.accountStatus !== 'active') throw deploymentKeyInvalid();
  return account;
}
