import type { AccountDetails } from './account-types';
import type { AccountLookup } from './accounts';
import type { AgentRepository } from './agent-store';
import type { TokenFailureStore } from './guest-tokens';
import type { LiveEvents, StreamGrant, StreamProblem } from './live-events';

/**
 * Held event streams end when what opened them is revoked (issue 12): a request is checked when it arrives,
 * a stream only when it opens, so without this a stream outlives its token's revocation until the token expires.
 *
 * Driven by the change feeds every replica already listens to (account changes: deployment keys, account status,
 * agents; token failures: fingerprint mismatches), never by polling: one account lookup (and one agent list, when
 * desk streams are held) per change per replica, however many streams of the account it holds.
 */
export interface StreamRevocationDeps {
  live: Pick<LiveEvents, 'grants' | 'revoke' | 'reconnect'>;
  accounts: Pick<AccountLookup, 'getAccount'>;
  agents: Pick<AgentRepository, 'listAgents'>;
  tokenFailures: Pick<TokenFailureStore, 'failures'>;
  tokenFailureLimit: number;
  onError?: (err: unknown) => void;
}

const TOKEN_REVOKED: StreamProblem = { code: 'token_revoked', detail: 'This token can no longer be used; start a new session' };
const ACCOUNT_INACTIVE: StreamProblem = { code: 'deployment_key_invalid', detail: 'The webchat this token was issued for is not active' };
const AGENT_REMOVED: StreamProblem = { code: 'agent_key_invalid', detail: 'This agent key has been revoked' };

/** The same rules as a request's checks (authenticateGuest, authenticateAgent), applied to one account's grants. */
function accountVerdict(account: AccountDetails | null, activeAgents: ReadonlySet<string>) {
  return (grant: StreamGrant): StreamProblem | undefined => {
    if (grant.kind === 'agent') return account?.status === 'active' && activeAgents.has(grant.agentSid) ? undefined : AGENT_REMOVED;
    if (!account || account.status !== 'active') return ACCOUNT_INACTIVE;
    const key = grant.deploymentKeyId ? account.deploymentKeys.find((k) => k.id === grant.deploymentKeyId) : undefined;
    return key?.status === 'active' ? undefined : TOKEN_REVOKED;
  };
}

export function streamRevocation(deps: StreamRevocationDeps) {
  /** A check that cannot be made (store down) must not leave a stream running unchecked: it reconnects instead. */
  const orReconnect = (select: (grant: StreamGrant) => boolean, check: () => Promise<void>) =>
    check().catch((err: unknown) => {
      deps.onError?.(err);
      deps.live.reconnect(select);
    });

  async function accountChanged(accountSid: string, only?: StreamGrant): Promise<void> {
    const ofAccount = (grant: StreamGrant) => grant.accountSid === accountSid && (!only || grant === only);
    const held = deps.live.grants(ofAccount);
    if (held.length === 0) return;
    const account = await deps.accounts.getAccount(accountSid);
    const agentsHeld = held.some((grant) => grant.kind === 'agent') && account?.status === 'active';
    const activeAgents = new Set(agentsHeld ? (await deps.agents.listAgents(accountSid)).map((agent) => agent.agentSid) : []);
    const verdict = accountVerdict(account, activeAgents);
    deps.live.revoke((grant) => (ofAccount(grant) ? verdict(grant) : undefined));
  }

  async function tokenFailed(tokenHashHex: string, only?: StreamGrant): Promise<void> {
    const ofToken = (grant: StreamGrant) => grant.kind === 'guest' && grant.tokenHash === tokenHashHex && (!only || grant === only);
    if (deps.live.grants(ofToken).length === 0) return;
    if ((await deps.tokenFailures.failures(Buffer.from(tokenHashHex, 'hex'))) < deps.tokenFailureLimit) return;
    deps.live.revoke((grant) => (ofToken(grant) ? TOKEN_REVOKED : undefined));
  }

  return {
    /** A change to the account (notified at commit): its streams whose key, account or agent went are ended. */
    accountChanged: (accountSid: string) => orReconnect((grant) => grant.accountSid === accountSid, () => accountChanged(accountSid)),
    /** A fingerprint mismatch was counted for this token (hex SHA-256): at the limit its streams end. */
    tokenFailed: (tokenHashHex: string) => orReconnect((grant) => grant.kind === 'guest' && grant.tokenHash === tokenHashHex, () => tokenFailed(tokenHashHex)),
    /**
     * Checks one stream just opened: a revocation notified between its request's checks and its registration
     * found no stream to end. From the caches, so normally no store query.
     */
    opened: (grant: StreamGrant) =>
      orReconnect(
        (held) => held === grant,
        async () => {
          await accountChanged(grant.accountSid, grant);
          if (grant.kind === 'guest') await tokenFailed(grant.tokenHash, grant);
        },
      ),
  };
}

export type StreamRevocation = ReturnType<typeof streamRevocation>;
