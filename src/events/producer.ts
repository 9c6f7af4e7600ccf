/**
 * The producer (SPEC §1): validates a request event and enqueues it on the events queue with a
 * deterministic job id, so that a producer retrying a push does not create a second event.
 */
import { type ConnectionOptions, type JobsOptions, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ErrorCode, HookpostError } from '../errors.js';
import { type RequestEvent, validateEvent } from './schema.js';

/** BullMQ job name of producer events (hookpost ignores it; other producers may use any name). */
export const EVENT_JOB_NAME = 'request-event';

/** addBulk chunk size: one Redis round trip per chunk (BENCH-NOTES: ~17-21k jobs/s at 1,000). */
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
   * An ioredis client (not closed by `close()`; it must not use `keyPrefix`), connection options
   * (`{ host, port, ... }`, as BullMQ takes them) or a Redis URL; the last two are owned and closed
   * by the producer.
   */
  readonly redis: Redis | ConnectionOptions | string;
  /** Key prefix of the queue. Default `hookpost`; use a hash tag such as `{hookpost}` on Redis Cluster. */
  readonly prefix?: string;
  /** Queue name. Default `events`. */
  readonly queueName?: string;
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

/** Creates a producer for the events queue (`<prefix>:<queueName>`, default `hookpost:events`). */
export function createProducer(options: ProducerOptions): Producer {
  const ownsClient = typeof options.redis === 'string';
  const connection =
    typeof options.redis === 'string' ? new Redis(options.redis, { maxRetriesPerRequest: 20 }) : options.redis;
  const queue = new Queue(options.queueName ?? 'events', {
    connection,
    prefix: options.prefix ?? 'hookpost',
  });
  // Without a listener BullMQ prints every connection error with its stack; publish() rejects anyway.
  queue.on('error', () => {});
  const maxBytes = options.maxEventBytes;
  // BullMQ's add returns the job id whether it created the job or found one with that id. Each job
  // this producer adds gets a creation timestamp no other job of this producer has (a millisecond
  // later than the previous one if need be); a stored job with another timestamp existed before.
  let lastTimestamp = 0;
  const nextTimestamp = () => {
    lastTimestamp = Math.max(Date.now(), lastTimestamp + 1);
    return lastTimestamp;
  };
  const storedTimestamps = async (jobIds: readonly string[]): Promise<Array<string | null>> => {
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
      const timestamp = nextTimestamp();
      await queue.add(job.name, job.data, { ...job.opts, timestamp });
      const [stored = null] = await storedTimestamps([job.opts.jobId]);
      return { jobId: job.opts.jobId, duplicate: isDuplicate(stored, timestamp) };
    },
    async publishMany(events) {
      const jobs = events.map((event, index) => prepare(event, index));
      const duplicate: boolean[] = [];
      for (let start = 0; start < jobs.length; start += BULK_CHUNK_SIZE) {
        const chunk = jobs.slice(start, start + BULK_CHUNK_SIZE).map((job) => ({ ...job, opts: { ...job.opts, timestamp: nextTimestamp() } }));
        await queue.addBulk(chunk);
        const stored = await storedTimestamps(chunk.map((job) => job.opts.jobId));
        for (const [i, job] of chunk.entries()) duplicate.push(isDuplicate(stored[i] ?? null, job.opts.timestamp));
      }
      return { jobIds: jobs.map((job) => job.opts.jobId), duplicate, duplicates: duplicate.filter(Boolean).length };
    },
    async close() {
      await queue.close();
      if (ownsClient && connection instanceof Redis) await connection.quit().catch(() => undefined);
    },
  };
}
