import { ensureDevSecret } from '@webchat/config';
import type { AccountDetails, AccountRepository } from '../data-access/account-repository';
import { generateDeploymentKey } from '../data-access/deployment-key';
import { generateAgentKey } from '../data-access/agent-key';
import type { AgentKind, AgentRepository } from '../data-access/agent-repository';
import { ConflictError } from '../data-access/errors';

/** Fixed, so the demo site and docs can name it. */
export const DEMO_ACCOUNT_SID = 'ACdec0de00000000000000000000000001';
export const DEMO_ACCOUNT_NAME = 'Demo account';
export const DEMO_ORIGIN = 'http://localhost:3000';
export const DEMO_WELCOME_MESSAGE = 'Hi! Thanks for reaching out. How can we help you today?';
/** File under the dev-secrets folder holding the demo key, so every run (and every developer tool) sees the same one. */
export const DEMO_KEY_SECRET = 'demo-deployment-key';
/** The demo account's one agent, whose key (kept the same way) signs in to the desk. */
export const DEMO_AGENT_KEY_SECRET = 'demo-agent-key';
export const DEMO_AGENT_NAME = 'Ada (demo agent)';
/** The demo account's bot for `WEBCHAT_ECHO_BOT=1 npm start` (examples/echo-bot), its key kept the same way. */
export const DEMO_ECHO_BOT_KEY_SECRET = 'demo-echo-bot-key';
export const DEMO_ECHO_BOT_NAME = 'Echo';

export interface DemoSeed {
  account: AccountDetails;
  key: string;
  /** What happened to the key in the store on this run. */
  keyState: 'registered' | 'already registered' | 'reactivated';
  /** The demo agent's key (for the desk at /desk/), when agents were seeded. */
  agentKey?: string;
}

/**
 * A demo agent (or bot) exists with the stable key from the dev-secrets folder (re-added if it was removed), so
 * every run reuses the same agent instead of adding one.
 */
export async function seedDemoAgent(
  agents: AgentRepository,
  devSecretsDir: string,
  agent: { secret: string; name: string; kind: AgentKind } = { secret: DEMO_AGENT_KEY_SECRET, name: DEMO_AGENT_NAME, kind: 'agent' },
): Promise<string> {
  const key = ensureDevSecret(devSecretsDir, agent.secret, generateAgentKey).trim();
  const existing = await agents.findAgentByKey(key);
  if (existing && existing.accountSid !== DEMO_ACCOUNT_SID) {
    throw new ConflictError(`the demo ${agent.kind} key in ${agent.secret} belongs to account ${existing.accountSid}, not the demo account`);
  }
  if (!existing) await agents.addAgent({ accountSid: DEMO_ACCOUNT_SID, friendlyName: agent.name, kind: agent.kind, key });
  return key;
}

/** The demo bot "Echo" for examples/echo-bot, with its stable key. */
export const seedDemoEchoBot = (agents: AgentRepository, devSecretsDir: string) =>
  seedDemoAgent(agents, devSecretsDir, { secret: DEMO_ECHO_BOT_KEY_SECRET, name: DEMO_ECHO_BOT_NAME, kind: 'bot' });

async function ensureAccount(repo: AccountRepository): Promise<void> {
  if (await repo.getAccount(DEMO_ACCOUNT_SID)) return;
  try {
    await repo.createAccount({ sid: DEMO_ACCOUNT_SID, friendlyName: DEMO_ACCOUNT_NAME });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error; // a concurrent seed created it: fine
  }
}

/**
 * Idempotent: brings the demo account to its known state (active, allowed origin the demo site) and
 * makes sure the stable demo key, kept in `<devSecretsDir>/demo-deployment-key`, is registered and active.
 * Only its hash goes to the database, as for every key.
 */
export async function seedDemo(repo: AccountRepository, devSecretsDir: string): Promise<DemoSeed> {
  await ensureAccount(repo);
  await repo.setAccountStatus(DEMO_ACCOUNT_SID, 'active');
  await repo.updateConfiguration(DEMO_ACCOUNT_SID, { allowedOrigins: [DEMO_ORIGIN], welcomeMessage: DEMO_WELCOME_MESSAGE });

  const key = ensureDevSecret(devSecretsDir, DEMO_KEY_SECRET, generateDeploymentKey).trim();
  const existing = await repo.findConfigurationByDeploymentKey(key);
  let keyState: DemoSeed['keyState'];
  if (!existing) {
    await repo.issueDeploymentKey(DEMO_ACCOUNT_SID, { key });
    keyState = 'registered';
  } else if (existing.accountSid !== DEMO_ACCOUNT_SID) {
    throw new ConflictError(`the demo key in ${DEMO_KEY_SECRET} belongs to account ${existing.accountSid}, not the demo account`);
  } else if (existing.keyStatus === 'revoked') {
    await repo.reactivateDeploymentKey(key);
    keyState = 'reactivated';
  } else {
    keyState = 'already registered';
  }
  const account = await repo.getAccount(DEMO_ACCOUNT_SID);
  if (!account) throw new Error('the demo account vanished while seeding');
  return { account, key, keyState };
}
