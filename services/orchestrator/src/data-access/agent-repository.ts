import { validateAccountSid } from './validation';
import { AGENT_KEY_SHAPE, agentKeyDisplayPrefix, generateAgentKey, hashAgentKey, newAgentSid } from './agent-key';
import { InvalidInputError, NotFoundError, forExistingAccount } from './errors';
import type { Database } from './pool';
import type { AgentKind, AgentRecord, AgentRepository } from '../domain/agent-store';

export type { AgentKind, AgentRecord, AgentRepository };

/** The columns named as AgentRecord's fields, so a row is the record; `table` qualifies them in a join. */
const columns = (table = '') =>
  `${table}sid AS "agentSid", ${table}account_sid AS "accountSid", ${table}friendly_name AS "friendlyName", ${table}kind, ` +
  `${table}key_prefix AS "keyPrefix", ${table}created_at AS "createdAt"`;
const COLUMNS = columns();

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
      const { rows } = await forExistingAccount(accountSid, () =>
        db.query<AgentRecord>(
          `INSERT INTO agents (sid, account_sid, friendly_name, kind, key_hash, key_prefix) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
          [newAgentSid(), validateAccountSid(accountSid), validateAgentName(friendlyName), kind, hashAgentKey(key), agentKeyDisplayPrefix(key)],
        ),
      );
      const row = rows[0];
      if (!row) throw new Error('INSERT INTO agents returned no row');
      return { ...row, key };
    },

    async listAgents(accountSid) {
      const sid = validateAccountSid(accountSid);
      const { rows } = await db.query<AgentRecord>(`SELECT ${COLUMNS} FROM agents WHERE account_sid = $1 ORDER BY created_at, sid`, [sid]);
      if (rows.length === 0 && !(await db.query('SELECT 1 FROM accounts WHERE sid = $1', [sid])).rowCount) {
        throw new NotFoundError(`account ${sid} does not exist`);
      }
      return rows;
    },

    async removeAgent(agentSid) {
      const sid = agentSid.trim();
      if (!AGENT_SID.test(sid)) throw new InvalidInputError(`${JSON.stringify(agentSid)} is not an agent SID (AG followed by 32 hex digits)`);
      const { rows } = await db.query<AgentRecord>(`DELETE FROM agents WHERE sid = $1 RETURNING ${COLUMNS}`, [sid]);
      if (!rows[0]) throw new NotFoundError(`agent ${sid} does not exist`);
      return rows[0];
    },

    async findAgentByKey(key) {
      if (!AGENT_KEY_SHAPE.test(key)) return null;
      const { rows } = await db.query<AgentRecord>(
        `SELECT ${columns('g.')}
           FROM agents g JOIN accounts a ON a.sid = g.account_sid
          WHERE g.key_hash = $1 AND a.status = 'active'`,
        [hashAgentKey(key)],
      );
      return rows[0] ?? null;
    },
  };
}
