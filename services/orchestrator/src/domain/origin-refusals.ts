import type { Logger } from '@webchat/logger';

/** Where counted refusals go (the refused_origins repository). */
export interface RefusalStore {
  record(accountSid: string, origin: string, count: number): Promise<void>;
}

export interface OriginRefusals {
  /** Notes that `origin` was refused for the account. Never blocks or fails the request. */
  refused(accountSid: string, origin: string | undefined): void;
  /** Writes what is pending now (tests; shutdown). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Only a real origin is kept: whatever else a client puts in the header is not stored. */
const ORIGIN_SHAPE = /^(https?:\/\/[A-Za-z0-9.-]{1,253}(:\d{1,5})?|null)$/;
/** Distinct (account, origin) pairs held between flushes; beyond it refusals are dropped, not queued. */
const MAX_PENDING = 1000;

/**
 * Refusals are counted in memory and written once a second per (account, origin): a page hammering the
 * token route from a refused site costs one small upsert a second, not one per request.
 */
export function createOriginRefusals(store: RefusalStore, logger: Logger, flushEveryMs = 1000): OriginRefusals {
  const pending = new Map<string, { accountSid: string; origin: string; count: number }>();
  let writing: Promise<void> = Promise.resolve();

  async function write(): Promise<void> {
    const batch = [...pending.values()];
    pending.clear();
    for (const { accountSid, origin, count } of batch) {
      try {
        await store.record(accountSid, origin, count);
      } catch (error) {
        logger.warn('could not record a refused origin', { err: error });
      }
    }
  }
  const flush = () => (writing = writing.then(write));
  const timer = setInterval(() => void flush(), flushEveryMs);
  timer.unref();

  return {
    refused(accountSid, origin) {
      if (origin === undefined || !ORIGIN_SHAPE.test(origin)) return;
      const key = `${accountSid} ${origin}`;
      const entry = pending.get(key);
      if (entry) entry.count += 1;
      else if (pending.size < MAX_PENDING) pending.set(key, { accountSid, origin, count: 1 });
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
