import { AppError } from '@webchat/errors';
import { Pool, type PoolClient, type QueryResult, type QueryResultRow } from 'pg';

export interface DatabaseOptions {
  connectionString: string;
  /** DB_POOL_MAX */
  max?: number;
  /** DB_CONNECT_TIMEOUT_MS: how long a request waits for a connection (new or from the pool). */
  connectTimeoutMs?: number;
  /** DB_STATEMENT_TIMEOUT_MS: enforced by the server, and slightly later by the client for a silent network. */
  statementTimeoutMs?: number;
  idleTimeoutMs?: number;
  applicationName?: string;
  /** Errors of idle connections (server restart, network drop). Without a listener pg would crash the process. */
  onError?: (error: Error) => void;
  /** Called before every repository query; tests count round trips with it. */
  onQuery?: (text: string) => void;
}

export type QueryValues = readonly unknown[];

/** What repositories need: one query at a time. Both a Database and a transaction provide it. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: QueryValues): Promise<QueryResult<R>>;
}

export interface Database extends Queryable {
  readonly pool: Pool;
  /** Round trips made through `query` and transactions since creation (BEGIN/COMMIT included); `ping` is not counted. */
  readonly stats: { readonly queries: number };
  /** Runs `work` in one transaction on one connection; rolls back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** `SELECT 1` for readiness checks; throws StoreUnavailableError when the server cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The store cannot be reached or did not answer in time: callers map it to 503 `store_unavailable`
 * (routes) or a one-line "cannot reach the database" (CLI). Anything else is a bug or a constraint.
 */
export class StoreUnavailableError extends Error {
  constructor(
    message: string,
    override readonly cause: unknown,
  ) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

// SQLSTATE classes 08 (connection exception), 53 (insufficient resources), 57 (operator intervention:
// admin shutdown, cannot connect now, statement timeout = 57014) mean "the store is not serving us".
const UNAVAILABLE_SQLSTATE = /^(08|53|57)/;
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
const UNAVAILABLE_MESSAGE = /timeout|terminated|Connection ended|not queryable|Client has encountered a connection error|ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|EAI_AGAIN/i;

/** For the app's problem serializer: a store that is not serving us is 503 `store_unavailable`, not a 500. */
export function storeProblem(error: unknown): AppError | undefined {
  return isStoreUnavailable(error) ? new AppError('store_unavailable', 'The account store is unavailable; try again shortly', { cause: error }) : undefined;
}

export function isStoreUnavailable(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code))) return true;
  // pg reports pool/connect timeouts and dropped connections as plain Errors without a code.
  return typeof code !== 'string' && typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message);
}

export function describeDatabaseError(error: unknown): string {
  const { code, message, errors } = (error ?? {}) as { code?: unknown; message?: unknown; errors?: unknown };
  // Connecting to a name with several addresses fails with an AggregateError whose own message is empty.
  if (!message && Array.isArray(errors) && errors.length > 0) return describeDatabaseError(errors[0]);
  const text = typeof message === 'string' && message ? message : String(error);
  return typeof code === 'string' && !text.includes(code) ? `${text} (${code})` : text;
}

function wrapUnavailable(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || !isStoreUnavailable(error)) return error;
  return new StoreUnavailableError(`database unavailable: ${describeDatabaseError(error)}`, error);
}

export function createDatabase(options: DatabaseOptions): Database {
  const statementTimeout = options.statementTimeoutMs ?? 2000;
  const pool = new Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 2000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 10_000,
    statement_timeout: statementTimeout,
    // The server cancels at statement_timeout; the client gives up a little later in case the answer never comes.
    query_timeout: statementTimeout + 1000,
    idle_in_transaction_session_timeout: statementTimeout * 5,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: options.applicationName ?? 'webchat-orchestrator',
  });
  pool.on('error', (error) => (options.onError ?? (() => undefined))(error));

  const stats = { queries: 0 };
  const count = (text: string) => {
    stats.queries += 1;
    options.onQuery?.(text);
  };

  async function query<R extends QueryResultRow>(text: string, values?: QueryValues) {
    count(text);
    try {
      return await pool.query<R>(text, values as unknown[] | undefined);
    } catch (error) {
      throw wrapUnavailable(error);
    }
  }

  async function transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw wrapUnavailable(error);
    }
    const tx: Queryable = {
      async query<R extends QueryResultRow>(text: string, values?: QueryValues) {
        count(text);
        try {
          return await client.query<R>(text, values as unknown[] | undefined);
        } catch (error) {
          throw wrapUnavailable(error);
        }
      },
    };
    let broken: unknown;
    // The pool listens for errors of idle clients only: a checked-out one whose server goes away between
    // our queries (Postgres restarting) would emit an unhandled 'error' and take the process down.
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    try {
      await tx.query('BEGIN');
      const result = await work(tx);
      await tx.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError; // a connection that cannot roll back must not go back to the pool
      });
      throw error;
    } finally {
      client.removeListener('error', onError);
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  let closing: Promise<void> | undefined;
  return {
    pool,
    stats,
    query,
    transaction,
    async ping() {
      try {
        await pool.query('SELECT 1');
      } catch (error) {
        const wrapped = wrapUnavailable(error);
        throw wrapped instanceof StoreUnavailableError ? wrapped : new StoreUnavailableError(`database unavailable: ${describeDatabaseError(error)}`, error);
      }
    },
    close: () => (closing ??= pool.end()),
  };
}
