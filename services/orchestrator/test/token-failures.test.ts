import { randomBytes } from 'node:crypto';
import { TTL_MAX } from '@webchat/contracts';
import { createLogger } from '@webchat/logger';
import { TEMPLATE_ENV, createTestDatabase, type TestDatabase } from '@webchat/testkit';
import { failureForgetAfter } from '../src/domain/guest-tokens';
import { migrateUp } from '../src/data-access/migrate';
import { createDatabase, type Database } from '../src/data-access/pool';
import { PgAccountChangeFeed } from '../src/data-access/account-changes';
import { createTokenFailureStore, TOKEN_FAILURES_CHANNEL, watchedTokenFailures, type TokenFailureTable } from '../src/data-access/token-failures';
import { pruneTokenFailures } from '../src/domain/token-failure-pruning';

/*
 * guest_token_failures against real Postgres: a token's mismatch count is kept exactly as long as the
 * token could still be presented (even as a previous token within its grace), and pruned after that.
 */

let testDb: TestDatabase;
let db: Database;
let table: TokenFailureTable;
const logger = createLogger({ service: 'orchestrator', level: 'error' });

beforeAll(async () => {
  testDb = await createTestDatabase();
  if (!process.env[TEMPLATE_ENV]) await migrateUp(testDb.url);
  db = createDatabase({ connectionString: testDb.url, max: 4, connectTimeoutMs: 5000, statementTimeoutMs: 2000 });
  table = createTokenFailureStore(db);
});
afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});
beforeEach(() => db.query('DELETE FROM guest_token_failures'));

const hash = () => randomBytes(32);
const DAY_MS = 86_400_000;
const rowCount = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM guest_token_failures')).rows[0]!.n;

/** `failures` mismatches for a new token, remembered until `forgetAfter`. */
async function failing(failures: number, forgetAfter: Date): Promise<Buffer> {
  const tokenHash = hash();
  for (let i = 0; i < failures; i++) await table.recordFailure(tokenHash, forgetAfter);
  return tokenHash;
}

test('a mismatch is remembered past the latest expiry of the token plus the previous-token grace, whichever route it failed on', () => {
  const now = Date.parse('2026-12-02T12:00:00Z');
  const grace = 30 * 86_400;
  expect(failureForgetAfter(grace, now).getTime() - now).toBe((TTL_MAX + grace) * 1000);
  expect(failureForgetAfter(0, now).getTime() - now).toBe(TTL_MAX * 1000);
});

test('when tokens are past the time they could be presented, then pruning deletes their rows; the counts of live tokens stay exact', async () => {
  const dead = [await failing(5, new Date(Date.now() - DAY_MS)), await failing(1, new Date(Date.now() - 1000))];
  const live = [await failing(5, new Date(Date.now() + DAY_MS)), await failing(3, failureForgetAfter(30 * 86_400))];

  const pruner = pruneTokenFailures(table, logger, { everyMs: 3_600_000 });
  try {
    expect(await pruner.run()).toBe(2);
  } finally {
    pruner.stop();
  }

  expect(await rowCount()).toBe(2);
  for (const tokenHash of dead) expect(await table.failures(tokenHash)).toBe(0);
  expect(await table.failures(live[0]!)).toBe(5);
  expect(await table.failures(live[1]!)).toBe(3);
  // A live token keeps counting from where it was.
  expect(await table.recordFailure(live[1]!, failureForgetAfter(30 * 86_400))).toBe(4);
});

test('when a backlog is larger than a batch, then one run deletes it in small batches, up to its per-run bound', async () => {
  await db.query(
    `INSERT INTO guest_token_failures (token_hash, failures, forget_after)
     SELECT sha256(i::text::bytea), 1, now() - interval '1 hour' FROM generate_series(1, 25) AS i`,
  );
  const batches: number[] = [];
  const counted = { prune: async (size: number) => { const deleted = await table.prune(size); batches.push(deleted); return deleted; } };
  const pruner = pruneTokenFailures(counted, logger, { everyMs: 3_600_000, batchSize: 10, batchesPerRun: 2 });
  try {
    expect(await pruner.run()).toBe(20);
    expect(batches).toEqual([10, 10]);
    expect(await rowCount()).toBe(5);
    expect(await pruner.run()).toBe(5);
    expect(await rowCount()).toBe(0);
  } finally {
    pruner.stop();
  }
});

test('the timer prunes on its own, and a replica that remembered a pruned token stops reading the store for it', async () => {
  const feed = new PgAccountChangeFeed(testDb.url, logger, { channel: TOKEN_FAILURES_CHANNEL });
  await feed.start();
  const memory = watchedTokenFailures(table, feed);
  let pruner: ReturnType<typeof pruneTokenFailures> | undefined;
  try {
    // Presentable for another second and a half, then prunable.
    const old = await failing(2, new Date(Date.now() + 1500));
    // Remembered as failing: each check reads its count from the store.
    expect(await memory.failures(old)).toBe(2);
    const queries = async (work: () => Promise<unknown>) => {
      const before = db.stats.queries;
      await work();
      return db.stats.queries - before;
    };
    expect(await queries(() => memory.failures(old))).toBe(1);

    pruner = pruneTokenFailures(table, logger, { everyMs: 100, afterPrune: () => memory.forgetPruned() });
    const deadline = Date.now() + 5000;
    while ((await rowCount()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(await rowCount()).toBe(0);
    // Once pruned, the memory is rebuilt once from the store, and the token is clean again from memory.
    expect(await memory.failures(old)).toBe(0);
    expect(await queries(() => memory.failures(old))).toBe(0);
  } finally {
    pruner?.stop();
    await feed.close();
  }
});
