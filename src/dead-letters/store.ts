/**
 * Dead letters: deliveries whose attempts are exhausted (or that were refused) stay inspectable
 * for a week and can be re-driven. One record per delivery id, indexed per project by failure time.
 */
import type { RequestEvent } from '../events/index.js';
import { type AttemptCode, readAttemptCode } from '../outcomes.js';
import type { Keys, RedisClient as Redis } from '../redis/index.js';
import type { WebhookEvent } from '../registry/model.js';

export interface DeadLetter {
  readonly deliveryId: string;
  readonly project: string;
  readonly webhookId: string;
  readonly webhookEvent: WebhookEvent;
  readonly event: RequestEvent;
  /** Attempts made. */
  readonly attempts: number;
  /** The last attempt's code (src/outcomes.ts). */
  readonly errorCode: AttemptCode;
  /** For people: "Received HTTP 500", "Timed out after 10 s", ... */
  readonly errorMessage: string;
  /** ISO-8601. */
  readonly failedAt: string;
}

export interface DeadLetterStore {
  add(letter: DeadLetter): Promise<void>;
  /** Newest first. */
  list(project: string, options?: { limit?: number; offset?: number }): Promise<DeadLetter[]>;
  get(project: string, deliveryId: string): Promise<DeadLetter | null>;
  /** True when it existed. */
  remove(project: string, deliveryId: string): Promise<boolean>;
}

/** Which of a project's dead letters a bulk re-drive queues. */
export interface RedriveFilter {
  readonly webhookId?: string;
  /** Only dead letters that failed at or after this time (ms since the epoch). */
  readonly since?: number;
  /** Queued at most in this call. */
  readonly limit: number;
}

export interface DeadLetterStoreOptions {
  readonly redis: Redis;
  readonly keys: Keys;
  /** Kept per project; older ones are dropped first. Default 10,000. */
  readonly maxPerProject?: number;
  /** Default 7 days. */
  readonly ttlSeconds?: number;
}

/** A stored dead letter; its code in today's spelling (readAttemptCode). */
function parseLetter(raw: string): DeadLetter {
  const stored = JSON.parse(raw) as Omit<DeadLetter, 'errorCode'> & { errorCode: string };
  return { ...stored, errorCode: readAttemptCode(stored.errorCode) };
}

/** Dead letters dropped per round trip when a project's index is over its limit. */
const TRIM_BATCH = 500;

export function createDeadLetterStore(options: DeadLetterStoreOptions): DeadLetterStore {
  const { redis, keys } = options;
  const maxPerProject = options.maxPerProject ?? 10_000;
  const ttlSeconds = options.ttlSeconds ?? 7 * 24 * 3600;

  /**
   * Drops a project's oldest `excess` dead letters: index entries and their records together, so
   * no record outlives its place in the index (unreachable by listing and re-drive, yet kept for
   * the whole TTL). Concurrent trims may pick the same ids; deleting twice is harmless.
   */
  const trim = async (project: string, excess: number): Promise<void> => {
    const index = keys.deadLetters(project);
    for (let done = 0; done < excess; ) {
      const ids = await redis.zrange(index, 0, Math.min(excess - done, TRIM_BATCH) - 1);
      if (ids.length === 0) return;
      await redis
        .multi()
        .del(...ids.map((id) => keys.deadLetter(project, id)))
        .zrem(index, ...ids)
        .exec();
      done += ids.length;
    }
  };

  return {
    async add(letter) {
      const index = keys.deadLetters(letter.project);
      const results = await redis
        .multi()
        .set(keys.deadLetter(letter.project, letter.deliveryId), JSON.stringify(letter), 'EX', ttlSeconds)
        .zadd(index, Date.parse(letter.failedAt), letter.deliveryId)
        .expire(index, ttlSeconds)
        .zcard(index)
        .exec();
      const size = Number(results?.[3]?.[1] ?? 0);
      if (size > maxPerProject) await trim(letter.project, size - maxPerProject);
    },
    async list(project, { limit = 50, offset = 0 } = {}) {
      const index = keys.deadLetters(project);
      const ids = await redis.zrevrange(index, offset, offset + limit - 1);
      if (ids.length === 0) return [];
      const records = await redis.mget(ids.map((id) => keys.deadLetter(project, id)));
      const letters: DeadLetter[] = [];
      const expired: string[] = [];
      records.forEach((raw, i) => {
        if (raw) letters.push(parseLetter(raw));
        else expired.push(ids[i] as string);
      });
      if (expired.length > 0) await redis.zrem(index, ...expired);
      return letters;
    },
    async get(project, deliveryId) {
      const raw = await redis.get(keys.deadLetter(project, deliveryId));
      return raw ? parseLetter(raw) : null;
    },
    async remove(project, deliveryId) {
      const [deleted] = (await redis
        .multi()
        .del(keys.deadLetter(project, deliveryId))
        .zrem(keys.deadLetters(project), deliveryId)
        .exec()) ?? [[null, 0]];
      return Number(deleted?.[1] ?? 0) > 0;
    },
  };
}
