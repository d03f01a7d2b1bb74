import { randomBytes } from 'node:crypto';
import { DeploymentKey } from '@webchat/contracts';
import {
  DEFAULT_FINGERPRINT_SENSITIVITY,
  DEFAULT_TOKEN_TTL_SECONDS,
  type AccountConfiguration,
  type AccountDetails,
  type AccountStatus,
  type ConfigurationUpdate,
  type IssuedDeploymentKey,
  type RevokedDeploymentKey,
} from '../domain/account-types';
import { deploymentKeyDisplayPrefix, generateDeploymentKey, hashDeploymentKey, KEY_DISPLAY_PREFIX_LENGTH } from './deployment-key';
import { ConflictError, forExistingAccount, InvalidInputError, NotFoundError, sqlState, UNIQUE_VIOLATION } from './errors';
import type { Database } from './pool';
import { toAccountConfiguration, toAccountDetails, toKeySummary, type AccountRow, type ConfigurationRow, type KeyRow } from './rows';
import {
  validateAccountSid,
  validateAddressSid,
  validateAllowedOrigins,
  validateDeploymentKey,
  validateFriendlyName,
  validateSensitivity,
  validateTtl,
  validateWelcomeMessage,
  validateWidget,
} from './validation';

export * from '../domain/account-types';

export interface AccountRepository {
  /** One round trip. `null` only when no key has this hash; revoked keys and suspended accounts are returned. */
  findConfigurationByDeploymentKey(key: string): Promise<AccountConfiguration | null>;
  createAccount(input: { friendlyName: string; sid?: string }): Promise<AccountDetails>;
  getAccount(sid: string): Promise<AccountDetails | null>;
  listAccounts(): Promise<AccountDetails[]>;
  setAccountStatus(sid: string, status: AccountStatus): Promise<AccountDetails>;
  /** Issues a new key (or registers `options.key`, for the stable demo key). The key is in the result, and nowhere else. */
  issueDeploymentKey(accountSid: string, options?: { key?: string }): Promise<IssuedDeploymentKey>;
  /** `reference`: the key id (UUID), its prefix (as listed, at least 8 characters) or the whole key. */
  revokeDeploymentKey(reference: string): Promise<RevokedDeploymentKey>;
  /** Reactivates a revoked key (the demo seed restores its stable key). */
  reactivateDeploymentKey(key: string): Promise<IssuedDeploymentKey | null>;
  updateConfiguration(accountSid: string, update: ConfigurationUpdate): Promise<AccountDetails>;
}

const KEYS_JSON = `(
  SELECT coalesce(json_agg(json_build_object(
           'id', dk.id, 'prefix', dk.key_prefix, 'status', dk.status,
           'createdAt', dk.created_at, 'revokedAt', dk.revoked_at) ORDER BY dk.created_at, dk.id), '[]'::json)
    FROM deployment_keys dk
   WHERE dk.account_sid = a.sid) AS deployment_keys`;

// LEFT JOIN with the migration's defaults: an account whose configuration row is missing still works.
const SETTINGS_COLUMNS = `
  coalesce(c.allowed_origins, '{}'::text[]) AS allowed_origins,
  c.address_sid,
  coalesce(c.fingerprint_sensitivity, '${DEFAULT_FINGERPRINT_SENSITIVITY}') AS fingerprint_sensitivity,
  coalesce(c.token_ttl_seconds, ${DEFAULT_TOKEN_TTL_SECONDS}) AS token_ttl_seconds,
  c.welcome_message,
  coalesce(c.widget, '{}'::jsonb) AS widget`;

const CONFIGURATION_BY_KEY_HASH = `
SELECT a.sid AS account_sid, a.friendly_name, a.status AS account_status,
       k.id AS key_id, k.status AS key_status,
       ${SETTINGS_COLUMNS},
       ${KEYS_JSON}
  FROM deployment_keys k
  JOIN accounts a ON a.sid = k.account_sid
  LEFT JOIN account_configurations c ON c.account_sid = a.sid
 WHERE k.key_hash = $1`;

const ACCOUNT_DETAILS = `
SELECT a.sid AS account_sid, a.friendly_name, a.status, a.created_at, a.updated_at,
       ${SETTINGS_COLUMNS},
       ${KEYS_JSON}
  FROM accounts a
  LEFT JOIN account_configurations c ON c.account_sid = a.sid`;

const KEY_COLUMNS = 'id, account_sid, key_prefix, status, created_at, revoked_at';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MIN_PREFIX_REFERENCE = 8;

/** Which SQL condition finds the key an operator referred to. */
function keyCondition(reference: string): { where: string; value: unknown; label: string } {
  const ref = reference.trim();
  if (UUID.test(ref)) return { where: 'id = $1', value: ref.toLowerCase(), label: `key id ${ref}` };
  if (ref.startsWith('dk_') && ref.length > KEY_DISPLAY_PREFIX_LENGTH) {
    return { where: 'key_hash = $1', value: hashDeploymentKey(ref), label: 'the given deployment key' };
  }
  if (ref.startsWith('dk_') && ref.length >= MIN_PREFIX_REFERENCE) {
    return { where: 'starts_with(key_prefix, $1)', value: ref, label: `key prefix ${ref}` };
  }
  throw new InvalidInputError(
    `key reference ${JSON.stringify(ref)} is neither a key id (UUID) nor a key prefix of at least ${MIN_PREFIX_REFERENCE} characters (dk_...)`,
  );
}

const newAccountSid = () => `AC${randomBytes(16).toString('hex')}`;

export function createAccountRepository(db: Database): AccountRepository {
  async function getAccount(sid: string): Promise<AccountDetails | null> {
    const { rows } = await db.query<AccountRow>(`${ACCOUNT_DETAILS} WHERE a.sid = $1`, [validateAccountSid(sid)]);
    return rows[0] ? toAccountDetails(rows[0]) : null;
  }

  async function mustGetAccount(sid: string): Promise<AccountDetails> {
    const account = await getAccount(sid);
    if (!account) throw new NotFoundError(`account ${sid} does not exist`);
    return account;
  }

  async function insertKey(accountSid: string, key: string): Promise<IssuedDeploymentKey> {
    try {
      const { rows } = await db.query<KeyRow>(
        `INSERT INTO deployment_keys (account_sid, key_hash, key_prefix)
         SELECT sid, $2, $3 FROM accounts WHERE sid = $1
         RETURNING ${KEY_COLUMNS}`,
        [accountSid, hashDeploymentKey(key), deploymentKeyDisplayPrefix(key)],
      );
      if (!rows[0]) throw new NotFoundError(`account ${accountSid} does not exist`);
      return { ...toKeySummary(rows[0]), accountSid: rows[0].account_sid, key };
    } catch (error) {
      if (sqlState(error) === UNIQUE_VIOLATION) throw new ConflictError('this deployment key is already registered');
      throw error;
    }
  }

  return {
    async findConfigurationByDeploymentKey(key) {
      // Not one of ours by shape: no key can have this hash, so spare the database the question.
      if (!DeploymentKey.safeParse(key).success) return null;
      const { rows } = await db.query<ConfigurationRow>(CONFIGURATION_BY_KEY_HASH, [hashDeploymentKey(key)]);
      return rows[0] ? toAccountConfiguration(rows[0]) : null;
    },

    async createAccount({ friendlyName, sid }) {
      const name = validateFriendlyName(friendlyName);
      const accountSid = sid === undefined ? newAccountSid() : validateAccountSid(sid);
      try {
        await db.transaction(async (tx) => {
          await tx.query('INSERT INTO accounts (sid, friendly_name) VALUES ($1, $2)', [accountSid, name]);
          await tx.query('INSERT INTO account_configurations (account_sid) VALUES ($1)', [accountSid]);
        });
      } catch (error) {
        if (sqlState(error) === UNIQUE_VIOLATION) throw new ConflictError(`account ${accountSid} already exists`);
        throw error;
      }
      return mustGetAccount(accountSid);
    },

    getAccount,

    async listAccounts() {
      const { rows } = await db.query<AccountRow>(`${ACCOUNT_DETAILS} ORDER BY a.created_at, a.sid`);
      return rows.map(toAccountDetails);
    },

    async setAccountStatus(sid, status) {
      const { rowCount } = await db.query('UPDATE accounts SET status = $2 WHERE sid = $1', [validateAccountSid(sid), status]);
      if (!rowCount) throw new NotFoundError(`account ${sid} does not exist`);
      return mustGetAccount(sid);
    },

    async issueDeploymentKey(accountSid, options = {}) {
      const sid = validateAccountSid(accountSid);
      const key = options.key === undefined ? generateDeploymentKey() : validateDeploymentKey(options.key);
      return insertKey(sid, key);
    },

    async revokeDeploymentKey(reference) {
      const { where, value, label } = keyCondition(reference);
      return db.transaction(async (tx) => {
        const { rows } = await tx.query<KeyRow>(
          `SELECT ${KEY_COLUMNS} FROM deployment_keys WHERE ${where} ORDER BY created_at LIMIT 6 FOR UPDATE`,
          [value],
        );
        const [found, ...others] = rows;
        if (!found) throw new NotFoundError(`no deployment key matches ${label}`);
        if (others.length > 0) {
          const ids = rows.map((row) => row.id).join(', ');
          throw new ConflictError(`${label} matches several keys (${ids}${rows.length > 5 ? ', ...' : ''}): give the key id`);
        }
        if (found.status === 'revoked') return { ...toKeySummary(found), accountSid: found.account_sid, wasAlreadyRevoked: true };
        const updated = await tx.query<KeyRow>(
          `UPDATE deployment_keys SET status = 'revoked', revoked_at = now() WHERE id = $1 RETURNING ${KEY_COLUMNS}`,
          [found.id],
        );
        const row = updated.rows[0] ?? found;
        return { ...toKeySummary(row), accountSid: row.account_sid, wasAlreadyRevoked: false };
      });
    },

    async reactivateDeploymentKey(key) {
      const { rows } = await db.query<KeyRow>(
        `UPDATE deployment_keys SET status = 'active', revoked_at = NULL WHERE key_hash = $1 RETURNING ${KEY_COLUMNS}`,
        [hashDeploymentKey(validateDeploymentKey(key))],
      );
      return rows[0] ? { ...toKeySummary(rows[0]), accountSid: rows[0].account_sid, key } : null;
    },

    async updateConfiguration(accountSid, update) {
      const sid = validateAccountSid(accountSid);
      // Every value is validated before the single write, so a bad one changes nothing.
      const columns: Array<[string, unknown]> = [];
      if (update.allowedOrigins !== undefined) columns.push(['allowed_origins', validateAllowedOrigins(update.allowedOrigins)]);
      if (update.addressSid !== undefined) columns.push(['address_sid', validateAddressSid(update.addressSid)]);
      if (update.fingerprintSensitivity !== undefined) {
        columns.push(['fingerprint_sensitivity', validateSensitivity(update.fingerprintSensitivity)]);
      }
      if (update.tokenTtlSeconds !== undefined) columns.push(['token_ttl_seconds', validateTtl(update.tokenTtlSeconds)]);
      if (update.welcomeMessage !== undefined) columns.push(['welcome_message', validateWelcomeMessage(update.welcomeMessage)]);
      if (update.widget !== undefined) columns.push(['widget', JSON.stringify(validateWidget(update.widget))]);
      if (columns.length === 0) throw new InvalidInputError('nothing to set: give at least one setting');

      const names = columns.map(([name]) => name);
      await forExistingAccount(sid, () =>
        db.query(
          `INSERT INTO account_configurations (account_sid, ${names.join(', ')})
           VALUES ($1, ${names.map((_, i) => `$${i + 2}`).join(', ')})
           ON CONFLICT (account_sid) DO UPDATE SET ${names.map((name) => `${name} = EXCLUDED.${name}`).join(', ')}`,
          [sid, ...columns.map(([, value]) => value)],
        ),
      );
      return mustGetAccount(sid);
    },
  };
}
