import type { Queryable } from './pool';
import { validateAccountSid } from './validation';

/** How many distinct refused origins an account keeps: the most recently seen ones. */
export const REFUSED_ORIGINS_KEPT = 20;

export interface RefusedOrigin {
  origin: string;
  refusals: number;
  firstSeen: Date;
  lastSeen: Date;
}

export interface RefusedOriginRepository {
  /** Counts one refusal (or `count` of them) and drops the account's least recently seen origins beyond the bound. */
  record(accountSid: string, origin: string, count?: number): Promise<void>;
  /** Most recent first. */
  list(accountSid: string): Promise<RefusedOrigin[]>;
}

interface RefusedOriginRow {
  origin: string;
  refusals: string;
  first_seen: Date;
  last_seen: Date;
}

export function createRefusedOriginRepository(db: Queryable): RefusedOriginRepository {
  return {
    async record(accountSid, origin, count = 1) {
      // One statement: the upsert and the trim see the same snapshot plus the new row, so the bound holds
      // under concurrent writers (at worst a trim keeps one extra row until the next refusal).
      await db.query(
        `WITH upserted AS (
           INSERT INTO refused_origins AS r (account_sid, origin, refusals) VALUES ($1, $2, $3)
           ON CONFLICT (account_sid, origin) DO UPDATE SET refusals = r.refusals + EXCLUDED.refusals, last_seen = now()
           RETURNING origin
         )
         DELETE FROM refused_origins
          WHERE account_sid = $1
            AND origin NOT IN (SELECT origin FROM upserted)
            AND origin NOT IN (SELECT origin FROM refused_origins WHERE account_sid = $1 ORDER BY last_seen DESC, origin LIMIT $4 - 1)`,
        [accountSid, origin, count, REFUSED_ORIGINS_KEPT],
      );
    },

    async list(accountSid) {
      const { rows } = await db.query<RefusedOriginRow>(
        `SELECT origin, refusals, first_seen, last_seen FROM refused_origins WHERE account_sid = $1 ORDER BY last_seen DESC, origin`,
        [validateAccountSid(accountSid)],
      );
      return rows.map((row) => ({ origin: row.origin, refusals: Number(row.refusals), firstSeen: row.first_seen, lastSeen: row.last_seen }));
    },
  };
}
