/**
 * The producer (docs/publishing.md): validates a request event and enqueues it on the events queue with a
 * deterministic job id, so that a producer retrying a push does not create a second event.
 */
import { type ConnectionOptions, type JobsOptions, Queue } from 'bullmq';
import { ErrorCode, HookpostError } from '../errors.js';
import { type RedisClient, assertClusterPrefix, createRedis, isCluster } from '../redis/index.js';
import { type RequestEvent, validateEvent } from './schema.js';
import { MAX_SHARDS, shardOf, shardPrefix } from './shards.js';

/** BullMQ job name of producer events (hookpost ignores it; other producers may use any name). */
export const EVENT_JOB_NAME = 'request-event';

/** addBulk chunk size: one Redis round trip per chunk (bench/RESULTS.md: ~17-21k jobs/s at 1,000). */
const BULK_CHUNK_SIZE = 1_000;

/**
 * Retention of event jobs. A job id deduplicates only while the job exists (waiting, active, or
 * retained after it ran), so the completed set is the dedupe window: one hour, but at most 10,000
 * jobs. Measured: a waiting event job takes ~1.4 KB of Redis without a result and ~2.4 KB with a
 * 1 KB result, so the cap keeps retained events near 15-25 MB, and a burst cannot grow Redis without
 * bound; at 1,000 events/s the window is still 10 s, longer than a producer's retry of a failed push.
 * Failed (invalid) events are kept a week for inspection, at most 10,000. No `attempts`: the worker
 * decides retries per delivery.
 */
export const EVENT_JOB_OPTIONS: Readonly<JobsOptions> = Object.freeze({
  removeOnComplete: { age: 3_600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3_600, count: 10_000 },
});

export interface ProducerOptions {
  /**
   * An ioredis client or cluster (not closed by `close()`; it must not use `keyPrefix`), connection
   * options (`{ host, port, ... }`, as BullMQ takes them) or a Redis URL in any form hookpost takes
   * (`redis://`, `rediss://`, `redis+cluster://h1:6379,h2:6379`, `redis+sentinel://h1:26379,h2:26379/mymaster`,
   * see the README); the last two are owned and closed by the producer.
   */
  readonly redis: RedisClient | ConnectionOptions | string;
  /**
   * Key prefix of the queue. Default `hookpost`. On Redis Cluster it needs a hash tag such as
   * `{hookpost}` (a cluster connection with an untagged prefix is refused).
   */
  readonly prefix?: string;
  /** Queue name. Default `events`. */
  readonly queueName?: string;
  /**
   * Number of events queue shards, as the workers' HOOKPOST_SHARDS. Default 1. Each event goes to
   * the shard of its project and object, on the queue under that shard's hash tag, chosen by slot so
   * that the shards spread over a cluster's masters (src/events/shards.ts).
   */
  readonly shards?: number;
  /** Largest accepted serialized event, in bytes. Default 1 MiB. */
  readonly maxEventBytes?: number;
}

export interface PublishResult {
  /** `<request_id>.<status>`. */
  readonly jobId: string;
  /**
   * True when a job with this id already existed (the transition was published before and is still
   * retained, see EVENT_JOB_OPTIONS): nothing was enqueued and no webhook fires again. Use a new
   * `request_id` for a new request.
   */
  readonly duplicate: boolean;
}

export interface Producer {
  /**
   * Validates and enqueues one event. Throws a HookpostError `EVENT_INVALID` naming each bad field
   * (nothing is enqueued). Resolves with the job id `<request_id>.<status>` and whether it was a
   * duplicate: publishing the same transition again while the job is retained is a no-op.
   */
  publish(event: unknown): Promise<PublishResult>;
  /**
   * Validates all events first (throws on the first invalid one, enqueuing none), then adds them in
   * bulk. `duplicate[i]` says whether `jobIds[i]` already existed (also when an event repeats one
   * earlier in the same call); `duplicates` counts them.
   */
  publishMany(events: readonly unknown[]): Promise<{ jobIds: string[]; duplicate: boolean[]; duplicates: number }>;
  /** Closes the queue, and the Redis connection unless it was passed in as a client. */
  close(): Promise<void>;
}

/** The job id of an event: `<request_id>.<status>` (BullMQ forbids `:` in custom ids). */
export function eventJobId(event: Pick<RequestEvent, 'request_id' | 'status'>): string {
  return `${event.request_id}.${event.status}`;
}

const isClient = (redis: ProducerOptions['redis']): redis is RedisClient =>
  typeof redis === 'object' && redis !== null && typeof (redis as { duplicate?: unknown }).duplicate === 'function';

/**
 * Creates a producer for the events queue (`<prefix>:<queueName>`, default `hookpost:events`; with
 * shards, one queue per shard, see src/events/shards.ts). Throws HookpostError CONFIG_INVALID for a
 * bad URL, a bad shard count, or an untagged prefix on Redis Cluster.
 */
export function createProducer(options: ProducerOptions): Producer {
  const prefix = options.prefix ?? 'hookpost';
  const shards = options.shards ?? 1;
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) {
    throw new HookpostError(ErrorCode.CONFIG_INVALID, `shards: expected an integer 1-${MAX_SHARDS}, got ${shards}`);
  }
  const ownsClient = typeof options.redis === 'string';
  const connection = typeof options.redis === 'string' ? createRedis(options.redis, 'producer') : options.redis;
  if (isClient(connection)) assertClusterPrefix(isCluster(connection), prefix, 'prefix');
  const queues = Array.from(
    { length: shards },
    (_, shard) => new Queue(options.queueName ?? 'events', { connection, prefix: shardPrefix(prefix, shard, shards) }),
  );
  // Without a listener BullMQ prints every connection error with its stack; publish() rejects anyway.
  for (const queue of queues) queue.on('error', () => {});
  const queueOf = (event: RequestEvent) => queues[shardOf(event, shards)] as Queue;
  const maxBytes = options.maxEventBytes;
  // BullMQ's add returns the job id whether it created the job or found one with that id. Each job
  // this producer adds gets a creation timestamp no other job of this producer has (a millisecond
  // later than the previous one if need be); a stored job with another timestamp existed before.
  let lastTimestamp = 0;
  const nextTimestamp = () => {
    lastTimestamp = Math.max(Date.now(), lastTimestamp + 1);
    return lastTimestamp;
  };
  const storedTimestamps = async (queue: Queue, jobIds: readonly string[]): Promise<Array<string | null>> => {
    const client = await queue.getBackend().client;
    // Issued together: ioredis writes them back to back, so a chunk costs about one round trip.
    return Promise.all(jobIds.map((id) => client.hget(queue.toKey(id), 'timestamp')));
  };
  // A job gone again already (removed by a cleaner) was ours or is gone: not reported as a duplicate.
  const isDuplicate = (stored: string | null, timestamp: number) => stored !== null && Number(stored) !== timestamp;

  const prepare = (data: unknown, index?: number) => {
    const checked = validateEvent(data, maxBytes === undefined ? {} : { maxBytes });
    if (!checked.ok) {
      const where = index === undefined ? '' : `event #${index}: `;
      throw new HookpostError(ErrorCode.EVENT_INVALID, `invalid event: ${where}${checked.error}`);
    }
    // Default occurred_at to enqueue time here, where the producer's clock is the right one.
    const event: RequestEvent = checked.event.occurred_at
      ? checked.event
      : { ...checked.event, occurred_at: new Date().toISOString() };
    return { name: EVENT_JOB_NAME, data: event, opts: { ...EVENT_JOB_OPTIONS, jobId: eventJobId(event) } };
  };

  return {
    async publish(event) {
      const job = prepare(event);
      const queue = queueOf(job.data);
      const timestamp = nextTimestamp();
      await queue.add(job.name, job.data, { ...job.opts, timestamp });
      const [stored = null] = await storedTimestamps(queue, [job.opts.jobId]);
      return { jobId: job.opts.jobId, duplicate: isDuplicate(stored, timestamp) };
    },
    async publishMany(events) {
      const jobs = events.map((event, index) => ({ ...prepare(event, index), index }));
      const duplicate: boolean[] = new Array(jobs.length).fill(false);
      // Per shard, in the order given: one object's events keep their order.
      const byQueue = new Map<Queue, typeof jobs>();
      for (const job of jobs) {
        const queue = queueOf(job.data);
        const list = byQueue.get(queue);
        if (list) list.push(job);
        else byQueue.set(queue, [job]);
      }
      for (const [queue, shardJobs] of byQueue) {
        for (let start = 0; start < shardJobs.length; start += BULK_CHUNK_SIZE) {
          const chunk = shardJobs
            .slice(start, start + BULK_CHUNK_SIZE)
            .map(({ index, ...job }) => ({ index, job: { ...job, opts: { ...job.opts, timestamp: nextTimestamp() } } }));
          await queue.addBulk(chunk.map((c) => c.job));
          const stored = await storedTimestamps(queue, chunk.map((c) => c.job.opts.jobId));
          for (const [i, c] of chunk.entries()) duplicate[c.index] = isDuplicate(stored[i] ?? null, c.job.opts.timestamp);
        }
      }
      return { jobIds: jobs.map((job) => job.opts.jobId), duplicate, duplicates: duplicate.filter(Boolean).length };
    },
    async close() {
      await Promise.all(queues.map((queue) => queue.close()));
      if (ownsClient && isClient(connection)) await connection.quit().catch(() => undefined);
    },
  };
}
