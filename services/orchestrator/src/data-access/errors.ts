/*
 * Errors the operator functions throw on purpose. The CLI maps them to exit codes (invalid input: 2,
 * not found / conflict: 1); StoreUnavailableError (pool.ts) means the database could not be reached.
 */

export class InvalidInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}

export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** The SQLSTATE of a pg error, if it is one. */
export const sqlState = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
};

export const UNIQUE_VIOLATION = '23505';
export const FOREIGN_KEY_VIOLATION = '23503';
export const CHECK_VIOLATION = '23514';

/** Runs a write that references an account: a foreign-key violation means the account does not exist. */
export async function forExistingAccount<T>(accountSid: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (sqlState(error) === FOREIGN_KEY_VIOLATION) throw new NotFoundError(`account ${accountSid} does not exist`);
    throw error;
  }
}
