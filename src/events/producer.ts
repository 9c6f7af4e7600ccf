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

export interface Producer {
  /**
   * Validates and enqueues one event. Throws a HookpostError `EVENT_INVALID` naming each bad field
   * (nothing is enqueued). Resolves with the job id `<request_id>.<status>`; publishing the same
   * transition again while the job is retained is a no-op.
   */
  publish(event: unknown): Promise<{ jobId: string }>;
  /** Validates all events first (throws on the first invalid one, enqueuing none), then adds them in bulk. */
  publishMany(events: readonly unknown[]): Promise<{ jobIds: string[] }>;
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
  const maxBytes = options.maxEventBytes;

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
      await queue.add(job.name, job.data, job.opts);
      return { jobId: job.opts.jobId };
    },
    async publishMany(events) {
      const jobs = events.map((event, index) => prepare(event, index));
      for (let start = 0; start < jobs.length; start += BULK_CHUNK_SIZE) {
        await queue.addBulk(jobs.slice(start, start + BULK_CHUNK_SIZE));
      }
      return { jobIds: jobs.map((job) => job.opts.jobId) };
    },
    async close() {
      await queue.close();
      if (ownsClient && connection instanceof Redis) await connection.quit().catch(() => undefined);
    },
  };
}
