/**
 * What re-encryption shares between webhook records and pending webhook tests: the counts it
 * reports, and the SCAN over one node's keys of a pattern.
 */
import type { RedisClient as Redis } from '../redis/index.js';

/** What a re-encryption did, by record. */
export interface ReencryptCounts {
  /** Records read. */
  readonly scanned: number;
  /** Records rewritten: some value was plaintext or under an older key. */
  readonly rewritten: number;
  /** Records already entirely under the current key (or without secrets). */
  readonly current: number;
  /** Records that could not be decrypted (a key missing from the file): left as they were. */
  readonly unreadable: number;
}

export const NO_COUNTS: ReencryptCounts = Object.freeze({ scanned: 0, rewritten: 0, current: 0, unreadable: 0 });

/** The two counts added field by field (several node scans, or webhooks and tests). */
export function addCounts(a: ReencryptCounts, b: ReencryptCounts): ReencryptCounts {
  return {
    scanned: a.scanned + b.scanned,
    rewritten: a.rewritten + b.rewritten,
    current: a.current + b.current,
    unreadable: a.unreadable + b.unreadable,
  };
}

/** Calls `each` for every key of `redis` (one node) matching the glob `pattern`, one at a time. */
export async function forEachKey(redis: Redis, pattern: string, each: (key: string) => Promise<void>): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 200);
    cursor = next;
    for (const key of found) await each(key);
  } while (cursor !== '0');
}
