import { validateAccountSid } from './validation';
import { AGENT_KEY_SHAPE, agentKeyDisplayPrefix, generateAgentKey, hashAgentKey, newAgentSid } from './agent-key';
import { FOREIGN_KEY_VIOLATION, InvalidInputError, NotFoundError, sqlState } from './errors';
import type { Database } from './pool';
import type { AgentKind, AgentRecord, AgentRepository } from '../domain/agent-store';

export type { AgentKind, AgentRecord, AgentRepository };

interface AgentRow {
  sid: string;
  account_sid: string;
  friendly_name: string;
  kind: AgentKind;
  key_prefix: string;
  created_at: Date;
}

const COLUMNS = 'sid, account_sid, friendly_name, kind, key_prefix, created_at';
const toAgent = (row: AgentRow): AgentRecord => ({
  agentSid: row.sid,
  accountSid: row.account_sid,
  friendlyName: row.friendly_name,
  kind: row.kind,
  keyPrefix: row.key_prefix,
  createdAt: row.created_at,
});

const AGENT_SID = /^AG[0-9a-f]{32}$/;

function validateAgentName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 128) throw new InvalidInputError('--name must be 1 to 128 characters');
  return trimmed;
}

export function createAgentRepository(db: Database): AgentRepository {
  return {
    async addAgent({ accountSid, friendlyName, kind, key: given }) {
      if (given !== undefined && !AGENT_KEY_SHAPE.test(given)) throw new InvalidInputError('an agent key is wk_ followed by 32 URL-safe characters');
      const key = given ?? generateAgentKey();
      try {
        const { rows } = await db.query<AgentRow>(
          `INSERT INTO agents (sid, account_sid, friendly_name, kind, key_hash, key_prefix) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
          [newAgentSid(), validateAccountSid(accountSid), validateAgentName(friendlyName), kind, hashAgentKey(key), agentKeyDisplayPrefix(key)],
        );
        const row = rows[0];
        if (!row) throw new Error('INSERT INTO agents returned no row');
        return { ...toAgent(row), key };
      } catch (error) {
        if (sqlState(error) === FOREIGN_KEY_VIOLATION) throw new NotFoundError(`account ${accountSid} does not exist`);
        throw error;
      }
    },

    async listAgents(accountSid) {
      const sid = validateAccountSid(accountSid);
      const { rows } = await db.query<AgentRow>(`SELECT ${COLUMNS} FROM agents WHERE account_sid = $1 ORDER BY created_at, sid`, [sid]);
      if (rows.length === 0 && !(await db.query('SELECT 1 FROM accounts WHERE sid = $1', [sid])).rowCount) {
        throw new NotFoundError(`account ${sid} does not exist`);
      }
      return rows.map(toAgent);
    },

    async removeAgent(agentSid) {
      const sid = agentSid.trim();
      if (!AGENT_SID.test(sid)) throw new InvalidInputError(`${JSON.stringify(agentSid)} is not an agent SID (AG followed by 32 hex digits)`);
      const { rows } = await db.query<AgentRow>(`DELETE FROM agents WHERE sid = $1 RETURNING ${COLUMNS}`, [sid]);
      if (!rows[0]) throw new NotFoundError(`agent ${sid} does not exist`);
      return toAgent(rows[0]);
    },

    async findAgentByKey(key) {
      if (!AGENT_KEY_SHAPE.test(key)) return null;
      const { rows } = await db.query<AgentRow>(
        `SELECT g.sid, g.account_sid, g.friendly_name, g.kind, g.key_prefix, g.created_at
           FROM agents g JOIN accounts a ON a.sid = g.account_sid
          WHERE g.key_hash = $1 AND a.status = 'active'`,
        [hashAgentKey(key)],
      );
      return rows[0] ? toAgent(rows[0]) : null;
    },
  };
}
