import type { AccountRepository } from '../data-access/account-repository';
import type { AgentRepository } from '../data-access/agent-repository';
import { generateIdentitySecret, type IdentitySecretRepository, type IdentitySecretSealer } from '../data-access/identity-secrets';
import { NotFoundError } from '../data-access/errors';
import { flag, integerOption, listOption, nullableOption, parse, stringOption, UsageError, type Parsed } from './args';
import { formatAccount, formatAgent, formatKey, toJson } from './format';
import { seedDemo, seedDemoAgent, seedDemoEchoBot } from './seed-demo';
import type { RefusedOriginRepository } from '../data-access/refused-origins';
import { WIDGET_COMMANDS, widgetFlagOptions, widgetFromFlags } from './widget-commands';
import { WEBHOOK_COMMANDS, type WebhookCommandContext } from './webhook-commands';

export interface CommandContext extends WebhookCommandContext {
  /** Connects on first use, so usage errors never touch the database. */
  repository(): Promise<AccountRepository>;
  agents(): Promise<AgentRepository>;
  refusedOrigins(): Promise<RefusedOriginRepository>;
  migrate(options: { createDatabase: boolean }): Promise<void>;
  /** Identity secrets and the key they are sealed with (IDENTITY_SECRETS_KEY). */
  identitySecrets(): Promise<{ repository: IdentitySecretRepository; sealer: IdentitySecretSealer }>;
  /** How the services' log lines name this guest identity (a keyed hash under LOG_IDENTITY_KEY). */
  logIdentityRef(identity: string): string;
  devSecretsDir: string;
  /** The command's result (stdout). */
  out(text: string): void;
  /** Remarks for the operator (stderr), kept out of what scripts capture. */
  note(text: string): void;
}

type Command = (argv: string[], context: CommandContext) => Promise<void>;

const SID = { min: 1, max: 1, names: 'the account SID' };
const NONE = { min: 0, max: 0, names: '' };
const JSON_FLAG = { json: { type: 'boolean' } } as const;

const sidOf = (parsed: Parsed) => parsed.positionals[0] ?? '';
const GUEST_IDENTITY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function accountStatusCommand(status: 'active' | 'suspended'): Command {
  return async (argv, context) => {
    const parsed = parse(argv, {}, SID);
    const account = await (await context.repository()).setAccountStatus(sidOf(parsed), status);
    context.out(`${account.accountSid} is now ${account.status}`);
  };
}

export const COMMANDS: Record<string, Command> = {
  async 'accounts create'(argv, context) {
    const parsed = parse(argv, { name: { type: 'string' }, sid: { type: 'string' }, ...JSON_FLAG }, NONE);
    const name = stringOption(parsed, 'name');
    if (name === undefined) throw new UsageError('missing --name');
    const account = await (await context.repository()).createAccount({ friendlyName: name, sid: stringOption(parsed, 'sid') });
    context.out(flag(parsed, 'json') ? toJson(account) : formatAccount(account));
  },

  async 'accounts list'(argv, context) {
    const parsed = parse(argv, JSON_FLAG, NONE);
    const accounts = await (await context.repository()).listAccounts();
    if (flag(parsed, 'json')) context.out(toJson(accounts));
    else context.out(accounts.length === 0 ? '(no accounts)' : accounts.map(formatAccount).join('\n\n'));
  },

  async 'accounts show'(argv, context) {
    const parsed = parse(argv, JSON_FLAG, SID);
    const account = await (await context.repository()).getAccount(sidOf(parsed));
    if (!account) throw new NotFoundError(`account ${sidOf(parsed)} does not exist`);
    context.out(flag(parsed, 'json') ? toJson(account) : formatAccount(account));
  },

  'accounts suspend': accountStatusCommand('suspended'),
  'accounts activate': accountStatusCommand('active'),

  async 'keys issue'(argv, context) {
    const parsed = parse(argv, JSON_FLAG, SID);
    const repository = await context.repository();
    const issued = await repository.issueDeploymentKey(sidOf(parsed));
    const account = await repository.getAccount(issued.accountSid);
    // The seed's rule stays (no allowed origins answers "*"), but an operator issuing a key should know it.
    if (account && account.allowedOrigins.length === 0) {
      context.note(
        `Warning: ${issued.accountSid} has no allowed origins, so every website can use this key. ` +
          `Limit it with: webchat-admin config set ${issued.accountSid} --origins https://www.example.com`,
      );
    }
    if (flag(parsed, 'json')) {
      context.out(toJson(issued));
    } else {
      context.note(`Deployment key ${issued.prefix} (id ${issued.id}) for ${issued.accountSid}. It is shown once: store it now.`);
      context.out(issued.key);
    }
  },

  async 'keys revoke'(argv, context) {
    const parsed = parse(argv, {}, { min: 1, max: 1, names: 'the key id or prefix' });
    const revoked = await (await context.repository()).revokeDeploymentKey(sidOf(parsed));
    const what = revoked.wasAlreadyRevoked ? 'was already revoked' : 'revoked';
    context.out(`${what}: ${formatKey(revoked)} (account ${revoked.accountSid})`);
  },

  async 'agents add'(argv, context) {
    const parsed = parse(argv, { name: { type: 'string' }, bot: { type: 'boolean' }, ...JSON_FLAG }, SID);
    const name = stringOption(parsed, 'name');
    if (name === undefined) throw new UsageError('missing --name');
    const agent = await (await context.agents()).addAgent({ accountSid: sidOf(parsed), friendlyName: name, kind: flag(parsed, 'bot') ? 'bot' : 'agent' });
    if (flag(parsed, 'json')) {
      context.out(toJson(agent));
      return;
    }
    context.note(`${agent.kind === 'bot' ? 'Bot' : 'Agent'} ${agent.friendlyName} (${agent.agentSid}) for ${agent.accountSid}. The key is shown once: store it now.`);
    context.out(agent.key);
  },

  async 'agents list'(argv, context) {
    const parsed = parse(argv, JSON_FLAG, SID);
    const agents = await (await context.agents()).listAgents(sidOf(parsed));
    if (flag(parsed, 'json')) context.out(toJson(agents));
    else context.out(agents.length === 0 ? '(no agents)' : agents.map(formatAgent).join('\n'));
  },

  async 'agents remove'(argv, context) {
    const parsed = parse(argv, {}, { min: 1, max: 1, names: 'the agent SID (AG...)' });
    const agent = await (await context.agents()).removeAgent(sidOf(parsed));
    context.out(`removed: ${formatAgent(agent)} (its key stops working on every replica within a second; its messages keep its name)`);
  },

  async 'identity-secret rotate'(argv, context) {
    const parsed = parse(argv, JSON_FLAG, SID);
    const accountSid = sidOf(parsed);
    const { repository, sealer } = await context.identitySecrets();
    const secret = generateIdentitySecret();
    const { hadPrevious } = await repository.rotate(accountSid, sealer.seal(accountSid, secret));
    if (flag(parsed, 'json')) {
      context.out(toJson({ accountSid, identitySecret: secret, previousStillValid: hadPrevious }));
      return;
    }
    context.note(
      `Identity secret for ${accountSid}. It is shown once: put it in your server's secret store now. ` +
        (hadPrevious
          ? `The previous secret stays valid until "webchat-admin identity-secret retire-previous ${accountSid}".`
          : 'Sign identity tokens with it (HS256, aud = the account SID).'),
    );
    context.out(secret);
  },

  async 'identity-secret retire-previous'(argv, context) {
    const parsed = parse(argv, {}, SID);
    const { repository } = await context.identitySecrets();
    const retired = await repository.retirePrevious(sidOf(parsed));
    context.out(retired ? `the previous identity secret of ${sidOf(parsed)} no longer verifies anything` : `${sidOf(parsed)} had no previous identity secret`);
  },

  async 'config set'(argv, context) {
    const parsed = parse(
      argv,
      {
        origins: { type: 'string' },
        sensitivity: { type: 'string' },
        ttl: { type: 'string' },
        welcome: { type: 'string' },
        'address-sid': { type: 'string' },
        ...widgetFlagOptions,
        ...JSON_FLAG,
      },
      SID,
    );
    const repository = await context.repository();
    const widget = await widgetFromFlags(parsed, repository, sidOf(parsed));
    const account = await repository.updateConfiguration(sidOf(parsed), {
      ...(widget !== undefined ? { widget } : {}),
      allowedOrigins: listOption(parsed, 'origins'),
      fingerprintSensitivity: stringOption(parsed, 'sensitivity'),
      tokenTtlSeconds: integerOption(parsed, 'ttl'),
      welcomeMessage: nullableOption(parsed, 'welcome'),
      addressSid: nullableOption(parsed, 'address-sid'),
    });
    context.out(flag(parsed, 'json') ? toJson(account) : formatAccount(account));
  },

  ...WIDGET_COMMANDS,

  async 'logs identity-ref'(argv, context) {
    const parsed = parse(argv, {}, { min: 1, max: 1, names: 'the guest identity' });
    const identity = (parsed.positionals[0] ?? '').toLowerCase();
    if (!GUEST_IDENTITY.test(identity)) throw new UsageError('a guest identity is a UUID, as the Conversations API and the token answer show it');
    context.out(context.logIdentityRef(identity));
  },

  async migrate(argv, context) {
    const parsed = parse(argv, { 'create-database': { type: 'boolean' } }, NONE);
    await context.migrate({ createDatabase: flag(parsed, 'create-database') });
    context.out('migrations applied');
  },

  async 'seed-demo'(argv, context) {
    const parsed = parse(argv, { ...JSON_FLAG, 'echo-bot': { type: 'boolean' } }, NONE);
    const seed = await seedDemo(await context.repository(), context.devSecretsDir);
    const agentKey = await seedDemoAgent(await context.agents(), context.devSecretsDir);
    const echoBotKey = flag(parsed, 'echo-bot') ? await seedDemoEchoBot(await context.agents(), context.devSecretsDir) : undefined;
    if (flag(parsed, 'json')) {
      context.out(toJson({ accountSid: seed.account.accountSid, allowedOrigins: seed.account.allowedOrigins, deploymentKey: seed.key, keyState: seed.keyState, agentKey, ...(echoBotKey ? { echoBotKey } : {}) }));
      return;
    }
    context.note(`Demo account ready (key ${seed.keyState}; kept in ${context.devSecretsDir}, so every run prints the same key):`);
    context.out(formatAccount(seed.account));
    context.out(`Deployment key: ${seed.key}`);
    context.out(`Demo agent key (desk at /desk/): ${agentKey}`);
    if (echoBotKey) context.out(`Demo bot "Echo" key (examples/echo-bot): ${echoBotKey}`);
  },
  ...WEBHOOK_COMMANDS,
};

/** `accounts list` → the command and its remaining arguments. */
export function findCommand(argv: readonly string[]): { command: Command; rest: string[] } | undefined {
  const [first = '', second = ''] = argv;
  const two = COMMANDS[`${first} ${second}`];
  if (two) return { command: two, rest: argv.slice(2) };
  const one = COMMANDS[first];
  return one ? { command: one, rest: argv.slice(1) } : undefined;
}

export const COMMAND_GROUPS = new Set(Object.keys(COMMANDS).map((name) => name.split(' ')[0]));
