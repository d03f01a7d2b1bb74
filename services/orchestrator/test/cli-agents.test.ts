import { DEMO_ACCOUNT_SID } from '../src/cli/seed-demo';
import { createAccountRepository } from '../src/data-access/account-repository';
import { createAgentRepository } from '../src/data-access/agent-repository';
import type { Database } from '../src/data-access/pool';
import { useCliFixture } from './support/cli';

const fixture = useCliFixture('agents');
const cli = (...argv: string[]) => fixture.cli(argv);
let db: Database;

beforeAll(() => {
  ({ db } = fixture);
});

describe('webchat-admin agents', () => {
  it('when an agent is added, then its wk_ key is printed once, only its hash is stored, and it is listed by prefix', async () => {
    const { accountSid } = await createAccountRepository(db).createAccount({ friendlyName: 'Agents Ltd' });
    const added = await cli('agents', 'add', accountSid, '--name', 'Ada');
    expect(added.code).toBe(0);
    const key = added.stdout.trim();
    expect(key).toMatch(/^wk_[A-Za-z0-9_-]{32}$/);
    expect(added.stderr).toMatch(/shown once/);
    const { rows } = await db.query<{ key_prefix: string; kind: string }>('SELECT key_prefix, kind, key_hash FROM agents WHERE account_sid = $1', [accountSid]);
    expect(rows).toEqual([expect.objectContaining({ key_prefix: key.slice(0, 12), kind: 'agent' })]);
    expect(JSON.stringify(rows)).not.toContain(key);
    const listed = await cli('agents', 'list', accountSid);
    expect(listed.stdout).toContain(key.slice(0, 12));
    expect(listed.stdout).toContain('Ada');
    expect(listed.stdout).not.toContain(key);
  });

  it('when a bot is added with --bot, then it is a bot; removing it makes its key unknown', async () => {
    const { accountSid } = await createAccountRepository(db).createAccount({ friendlyName: 'Bots Ltd' });
    const added = JSON.parse((await cli('agents', 'add', accountSid, '--name', 'Echo', '--bot', '--json')).stdout);
    expect(added).toMatchObject({ kind: 'bot', friendlyName: 'Echo', agentSid: expect.stringMatching(/^AG[0-9a-f]{32}$/) });
    const agents = createAgentRepository(db);
    expect(await agents.findAgentByKey(added.key)).toMatchObject({ kind: 'bot' });
    const removed = await cli('agents', 'remove', added.agentSid);
    expect(removed.code).toBe(0);
    expect(await agents.findAgentByKey(added.key)).toBeNull();
    expect((await cli('agents', 'remove', added.agentSid)).code).toBe(1);
  });

  it('when the arguments are wrong, then exit 2 with one line naming the problem; an unknown account exits 1', async () => {
    expect(await cli('agents', 'add', 'ACnope', '--name', 'Ada')).toMatchObject({ code: 2 });
    expect((await cli('agents', 'add', 'AC00000000000000000000000000000000')).stderr).toMatch(/missing --name/);
    expect(await cli('agents', 'remove', 'not-a-sid')).toMatchObject({ code: 2 });
    expect(await cli('agents', 'add', 'AC00000000000000000000000000000000', '--name', 'Ada')).toMatchObject({ code: 1 });
    expect(await cli('agents', 'list', 'AC00000000000000000000000000000000')).toMatchObject({ code: 1 });
  });

  it('when seed-demo runs twice, then the demo account has one agent whose key is the same both times', async () => {
    const first = JSON.parse((await cli('seed-demo', '--json')).stdout);
    const second = JSON.parse((await cli('seed-demo', '--json')).stdout);
    expect(first.agentKey).toMatch(/^wk_/);
    expect(second.agentKey).toBe(first.agentKey);
    const agents = await createAgentRepository(db).listAgents(DEMO_ACCOUNT_SID);
    expect(agents).toHaveLength(1);
  });

  it('when seed-demo --echo-bot runs at every start (WEBCHAT_ECHO_BOT=1 npm start), then the demo account keeps one bot "Echo" with the same key, re-added with it if removed', async () => {
    const first = JSON.parse((await cli('seed-demo', '--echo-bot', '--json')).stdout);
    const second = JSON.parse((await cli('seed-demo', '--echo-bot', '--json')).stdout);
    expect(first.echoBotKey).toMatch(/^wk_/);
    expect(second.echoBotKey).toBe(first.echoBotKey);
    expect(second.agentKey).not.toBe(second.echoBotKey);
    const bots = async () => (await createAgentRepository(db).listAgents(DEMO_ACCOUNT_SID)).filter((agent) => agent.kind === 'bot');
    const [bot] = await bots();
    expect((await bots()).map((agent) => agent.friendlyName)).toEqual(['Echo']);
    expect((await createAgentRepository(db).findAgentByKey(first.echoBotKey))?.agentSid).toBe(bot!.agentSid);

    await createAgentRepository(db).removeAgent(bot!.agentSid);
    const third = JSON.parse((await cli('seed-demo', '--echo-bot', '--json')).stdout);
    expect(third.echoBotKey).toBe(first.echoBotKey);
    expect((await bots()).map((agent) => agent.friendlyName)).toEqual(['Echo']);
    expect(JSON.parse((await cli('seed-demo', '--json')).stdout)).not.toHaveProperty('echoBotKey');
  });
});
