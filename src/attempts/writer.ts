/**
 * Writes the attempt log from the worker. `record()` only appends to an in-process buffer; the
 * buffer goes to Redis in one Lua call per batch (every `flushIntervalMs`, or at once when
 * `maxBatch` records wait), so the log costs the hot path a JSON.stringify and an array push.
 * A crash loses what was still buffered (at most `flushIntervalMs` of records): the log is for
 * people looking at deliveries, the queues and dead letters remain the source of truth.
 *
 * Layout per project (all keys from redis/keys.ts): a sorted set of delivery ids by last
 * activity, a hash per delivery (`n` attempts so far, `a<k>` the k-th attempt's JSON, `e` the kept
 * event), and per webhook a capped sorted set (the count retention) and a small health hash.
 */
import type { Keys, RedisClient as Redis } from '../redis/index.js';
import type { RequestEvent } from '../events/index.js';
import type { Logger } from '../observability/logger.js';
import { AttemptCode } from '../outcomes.js';
import { serializeKeptEvent } from './kept-event.js';
import { type AttemptRecord, MAX_ATTEMPTS_PER_DELIVERY, RECENT_OUTCOMES } from './model.js';
import { defineScript, runScript } from './scripts.js';

export interface AttemptLogWriter {
  /**
   * Buffers one attempt. `event` is kept with the delivery the first time it is given (re-delivery
   * needs it); pass it with every attempt, it is written once.
   */
  record(entry: AttemptRecord, event?: RequestEvent): void;
  /** Writes what is buffered now. */
  flush(): Promise<void>;
  /** Flushes and stops the timer. */
  close(): Promise<void>;
  /** Records written, dropped (buffer full or a failed write) and waiting. */
  stats(): { readonly written: number; readonly dropped: number; readonly buffered: number };
}

export interface AttemptLogRetention {
  /** Deliveries kept per webhook (the oldest by last activity go first). Default 1,000. */
  readonly maxPerWebhook: number;
  /** Age after which a delivery with no new attempt is dropped, in ms. Default 7 days. */
  readonly maxAgeMs: number;
}

export interface AttemptLogWriterOptions extends AttemptLogRetention {
  readonly redis: Redis;
  readonly keys: Keys;
  readonly logger: Logger;
  /** Longest a record waits in the buffer, in ms. Default 10. */
  readonly flushIntervalMs?: number;
  /** Records per Lua call at most; a full batch is written at once. Default 256. */
  readonly maxBatch?: number;
  /** Records buffered at most while Redis is slow or away; beyond, new ones are dropped. Default 20,000. */
  readonly maxBuffered?: number;
  /** The clock (ms), for tests of the age retention. */
  readonly now?: () => number;
}

export const DEFAULT_RETENTION: AttemptLogRetention = Object.freeze({ maxPerWebhook: 1_000, maxAgeMs: 7 * 24 * 3_600_000 });

/**
 * One call per batch, with as few Redis commands per record as the layout allows (3: HINCRBY, HSET,
 * PEXPIRE); the sorted sets, trims and health hashes are touched once per webhook and project.
 * Records arrive grouped by webhook (contiguous ranges).
 * KEYS: the n delivery hashes, then the P project indexes, then per webhook its index and health hash.
 * ARGV: maxPerWebhook, ttlMs, maxAttempts, nowMs, recentOutcomes, n, P, W; then 4 per record
 * (id, activity score, attempt JSON, kept event JSON or ''); then 7 per webhook (project number,
 * first record, records, health flags newest first, last success score or '', last failure score or '',
 * last failure message).
 * Returns pairs (webhook number, evicted delivery id): the caller deletes their hashes (their keys are
 * not known to the script, and every key a script touches is in KEYS).
 */
const WRITE_SCRIPT = defineScript(`
local maxPer, ttl, maxAtt = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local cutoff, recentMax = tonumber(ARGV[4]) - ttl, tonumber(ARGV[5])
local n, P, W = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local base = 8
for i = 0, n - 1 do
  local a = base + i * 4
  local hd, event = KEYS[i + 1], ARGV[a + 4]
  local seq = redis.call('HINCRBY', hd, 'n', 1)
  if event ~= '' and seq == 1 then
    redis.call('HSET', hd, 'a1', ARGV[a + 3], 'e', event)
  else
    redis.call('HSET', hd, 'a' .. seq, ARGV[a + 3])
    if event ~= '' then redis.call('HSETNX', hd, 'e', event) end
    if seq > maxAtt then redis.call('HDEL', hd, 'a' .. (seq - maxAtt)) end
  end
  redis.call('PEXPIRE', hd, ttl)
end
local wbase = base + n * 4
local perProject, out = {}, {}
for w = 0, W - 1 do
  local a = wbase + w * 7
  local p, first, count = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  local zw, hh = KEYS[n + P + w * 2 + 1], KEYS[n + P + w * 2 + 2]
  local members = {}
  local project = perProject[p] or {}
  perProject[p] = project
  for i = first, first + count - 1 do
    local r = base + i * 4
    members[#members + 1] = ARGV[r + 2]
    members[#members + 1] = ARGV[r + 1]
    project[#project + 1] = ARGV[r + 2]
    project[#project + 1] = ARGV[r + 1]
  end
  redis.call('ZADD', zw, unpack(members))
  redis.call('ZREMRANGEBYSCORE', zw, '-inf', cutoff)
  local over = redis.call('ZCARD', zw) - maxPer
  if over > 0 then
    local old = redis.call('ZRANGE', zw, 0, over - 1)
    redis.call('ZREMRANGEBYRANK', zw, 0, over - 1)
    for _, id in ipairs(old) do
      out[#out + 1] = w
      out[#out + 1] = id
    end
  end
  redis.call('PEXPIRE', zw, ttl)
  if ARGV[a + 4] ~= '' then
    local recent = string.sub(ARGV[a + 4] .. (redis.call('HGET', hh, 'r') or ''), 1, recentMax)
    local fields = { 'r', recent }
    if ARGV[a + 5] ~= '' then fields[#fields + 1] = 'ok'; fields[#fields + 1] = ARGV[a + 5] end
    if ARGV[a + 6] ~= '' then
      fields[#fields + 1] = 'fail'; fields[#fields + 1] = ARGV[a + 6]
      fields[#fields + 1] = 'fm'; fields[#fields + 1] = ARGV[a + 7]
    end
    redis.call('HSET', hh, unpack(fields))
    redis.call('PEXPIRE', hh, ttl)
  end
end
for p = 1, P do
  local zd = KEYS[n + p]
  redis.call('ZADD', zd, unpack(perProject[p]))
  redis.call('ZREMRANGEBYSCORE', zd, '-inf', cutoff)
  redis.call('PEXPIRE', zd, ttl)
end
return out
`);

interface Buffered {
  readonly entry: AttemptRecord;
  readonly json: string;
  readonly event: string;
}

/** The health flag of an attempt: success, failure, not sent (circuit open), or not counted. */
function healthFlag(entry: AttemptRecord): 's' | 'f' | 'o' | '-' {
  if (entry.outcome === 'success') return 's';
  if (entry.outcome === 'skipped') return '-';
  return entry.errorCode === AttemptCode.CIRCUIT_OPEN ? 'o' : 'f';
}

/** Last activity of a delivery (ms): when this attempt ended. */
const activityOf = (entry: AttemptRecord) => entry.startedAt + Math.round(entry.durationMs);

/** The stored JSON of an attempt: without the ids its keys already carry. */
function storedJson(entry: AttemptRecord): string {
  const { deliveryId: _d, project: _p, ...rest } = entry;
  return JSON.stringify(rest);
}

/** A writer that records nothing: the attempt log turned off (`HOOKPOST_ATTEMPT_LOG_PER_WEBHOOK=0`). */
export const DISABLED_ATTEMPT_LOG: AttemptLogWriter = Object.freeze({
  record() {},
  flush: async () => {},
  close: async () => {},
  stats: () => ({ written: 0, dropped: 0, buffered: 0 }),
});

export function createAttemptLogWriter(options: AttemptLogWriterOptions): AttemptLogWriter {
  const { redis, keys, logger } = options;
  const flushIntervalMs = options.flushIntervalMs ?? 10;
  const maxBatch = options.maxBatch ?? 256;
  const maxBuffered = options.maxBuffered ?? 20_000;
  const now = options.now ?? Date.now;
  let buffer: Buffered[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> | undefined;
  let written = 0;
  let dropped = 0;
  let failing = false;
  /** Deliveries whose event was handed to Redis by this process (bounded; a miss only costs bytes). */
  const eventSent = new Set<string>();

  const writeBatch = async (records: Buffered[]): Promise<void> => {
    // Grouped by webhook (a stable sort keeps each delivery's attempts in order).
    const groups = new Map<string, Buffered[]>();
    for (const b of records) {
      const id = `${b.entry.project}\n${b.entry.webhookId}`;
      const group = groups.get(id);
      if (group) group.push(b);
      else groups.set(id, [b]);
    }
    const batch = [...groups.values()].flat();
    const projects = new Map<string, number>();
    for (const b of batch) if (!projects.has(b.entry.project)) projects.set(b.entry.project, projects.size + 1);
    const scriptKeys: string[] = [];
    const args: Array<string | number> = [
      options.maxPerWebhook,
      options.maxAgeMs,
      MAX_ATTEMPTS_PER_DELIVERY,
      now(),
      RECENT_OUTCOMES,
      batch.length,
      projects.size,
      groups.size,
    ];
    for (const { entry, json, event } of batch) {
      scriptKeys.push(keys.attemptDelivery(entry.project, entry.deliveryId));
      args.push(entry.deliveryId, activityOf(entry), json, event);
    }
    for (const project of projects.keys()) scriptKeys.push(keys.attemptDeliveries(project));
    const webhooks: Array<{ project: string }> = [];
    let first = 0;
    for (const group of groups.values()) {
      const { project, webhookId } = (group[0] as Buffered).entry;
      webhooks.push({ project });
      scriptKeys.push(keys.attemptWebhookIndex(project, webhookId), keys.attemptWebhookHealth(project, webhookId));
      let flags = '';
      let ok = '';
      let fail = '';
      let failure = '';
      for (const { entry } of group) {
        const flag = healthFlag(entry);
        if (flag === '-') continue;
        flags = flag + flags;
        if (flag === 's') ok = String(activityOf(entry));
        else {
          fail = String(activityOf(entry));
          failure = entry.errorMessage ?? '';
        }
      }
      args.push(projects.get(project) as number, first, group.length, flags, ok, fail, failure);
      first += group.length;
    }
    const evicted = (await runScript(redis, WRITE_SCRIPT, scriptKeys, args)) as Array<number | string>;
    if (evicted.length > 0) {
      const tx = redis.pipeline();
      for (let i = 0; i + 1 < evicted.length; i += 2) {
        const project = webhooks[Number(evicted[i])]?.project as string;
        const id = String(evicted[i + 1]);
        tx.del(keys.attemptDelivery(project, id)).zrem(keys.attemptDeliveries(project), id);
      }
      await tx.exec();
    }
  };

  const drain = async (): Promise<void> => {
    while (buffer.length > 0) {
      const batch = buffer.length <= maxBatch ? buffer : buffer.slice(0, maxBatch);
      buffer = buffer.length <= maxBatch ? [] : buffer.slice(maxBatch);
      try {
        await writeBatch(batch);
        written += batch.length;
        if (failing) logger.info({ written: batch.length }, 'attempt log writes resumed');
        failing = false;
      } catch (err) {
        dropped += batch.length;
        // One line per outage, not one per batch.
        if (!failing) logger.warn({ err, dropped: batch.length }, 'attempt log write failed; records dropped');
        failing = true;
      }
    }
  };

  const flush = (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    writing ??= drain().finally(() => {
      writing = undefined;
      if (buffer.length > 0) schedule();
    });
    return writing;
  };

  const schedule = () => {
    if (timer || writing) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, flushIntervalMs);
    timer.unref();
  };

  return {
    record(entry, event) {
      if (buffer.length >= maxBuffered) {
        dropped += 1;
        return;
      }
      let kept = '';
      if (event !== undefined && !eventSent.has(entry.deliveryId)) {
        kept = serializeKeptEvent(event);
        if (eventSent.size >= 10_000) eventSent.clear();
        eventSent.add(entry.deliveryId);
      }
      buffer.push({ entry, json: storedJson(entry), event: kept });
      if (buffer.length >= maxBatch && !writing) void flush();
      else schedule();
    },
    async flush() {
      // A flush already running may have taken only part of the buffer.
      while (writing || buffer.length > 0) await flush();
    },
    async close() {
      await this.flush();
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
    stats: () => ({ written, dropped, buffered: buffer.length }),
  };
}
