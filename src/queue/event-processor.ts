/**
 * The events queue processor: validate ▸ fire lifecycle events ▸ match (in-memory index) ▸ ask the
 * delivery pipeline for each first attempt ▸ settle. What cannot finish now goes to the deliveries
 * queue in one addBulk before the event job completes: retries, deliveries parked by a busy
 * destination, and placeholders of attempts that were detached because their receiver is slow.
 * One BullMQ job per event on the fast path (every extra job costs ~140 µs of CPU).
 */
import { type Job, type Queue, UnrecoverableError } from 'bullmq';
import type { AttemptLogWriter } from '../attempts/index.js';
import type { Keys, RedisClient as Redis } from '../redis/index.js';
import type { AttemptOutcome, DeliveryPipeline } from '../delivery/index.js';
import { firedEvents, validateEvent, validatePublishedEvent } from '../events/index.js';
import type { Match, Matcher } from '../matching/index.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Settlement } from '../retry/index.js';
import type { DeadLetterStore } from '../dead-letters/index.js';
import { PLACEHOLDER_GRACE_MS, concludeDetached } from './detached.js';
import { type DeliveriesJobData, type DeliveryJobData, deliveryIdOf, deliveryJobOptions } from './jobs.js';
import { settleAndRecord } from './settle.js';
import { isUnreadable, rawDataOf, unreadableReason } from './worker.js';

export interface EventProcessorDeps {
  readonly matcher: Matcher;
  readonly pipeline: DeliveryPipeline;
  readonly deadLetters: DeadLetterStore;
  readonly attempts: AttemptLogWriter;
  readonly deliveries: Queue<DeliveriesJobData>;
  readonly redis: Redis;
  readonly keys: Keys;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly retryScheduleMs: readonly number[];
  /** Largest accepted event (JSON bytes). Default 1 MiB. */
  readonly maxEventBytes?: number;
  /** First attempts of one event in flight at once. Default 64. */
  readonly fanoutParallelism?: number;
}

const PROGRESS_TTL_SECONDS = 24 * 3600;

type FollowUp = { name: string; data: DeliveryJobData; opts: ReturnType<typeof deliveryJobOptions> };

async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  if (items.length === 1) return fn(items[0] as T);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(lanes);
}

export function createEventProcessor(deps: EventProcessorDeps): (job: Job) => Promise<void> {
  const { matcher, pipeline, deliveries, redis, keys, metrics, logger } = deps;
  const maxBytes = deps.maxEventBytes ?? 1_048_576;
  const parallelism = deps.fanoutParallelism ?? 64;

  const reject = (jobId: string, error: string): never => {
    metrics.eventsConsumed.inc({ outcome: 'invalid' });
    logger.warn({ jobId, error }, 'invalid event rejected');
    // Failed at once, never retried; the error stays on the failed job for inspection.
    throw new UnrecoverableError(`invalid event: ${error}`);
  };

  return async (job) => {
    const jobId = job.id ?? job.name;
    if (isUnreadable(job.data)) reject(jobId, unreadableReason(job.data));
    // The data as the producer wrote it: its result is delivered as that exact text.
    const raw = rawDataOf(job);
    const checked =
      raw === undefined
        ? validateEvent(job.data, { maxBytes })
        : await validatePublishedEvent(raw, job.data, {
            maxBytes,
            readBytes: () => redis.hgetBuffer(`${job.queueQualifiedName}:${job.id}`, 'data'),
          });
    if (!checked.ok) return reject(jobId, checked.error);
    const event = checked.event;
    const matches = await matcher.match(event, firedEvents(event));
    if (matches.length === 0) {
      metrics.eventsConsumed.inc({ outcome: 'unmatched' });
      logger.debug(
        { jobId, project: event.project, objectType: event.object_type, objectName: event.object_name, version: event.version },
        'event matched no webhook',
      );
      return;
    }
    metrics.eventsConsumed.inc({ outcome: 'matched' });

    // With several deliveries, remember which are done (by delivery id) so a run after a crash skips
    // them: only deliveries in flight at the crash may be sent twice. A first run has nothing to read.
    const tracked = matches.length > 1;
    const progressKey = keys.eventProgress(jobId);
    const rerun = job.attemptsStarted > 1 || job.stalledCounter > 0;
    const done = tracked && rerun ? new Set(await redis.smembers(progressKey)) : undefined;
    // Marks made in one turn of the event loop go out as one command: a large fan-out must not pay
    // a round trip per webhook.
    const marks: Array<Promise<unknown>> = [];
    let unmarked: string[] = [];
    const flushMarks = () => {
      if (unmarked.length === 0) return;
      marks.push(redis.multi().sadd(progressKey, ...unmarked).expire(progressKey, PROGRESS_TTL_SECONDS).exec());
      unmarked = [];
    };
    const markDone = (deliveryId: string) => {
      if (!tracked) return;
      unmarked.push(deliveryId);
      if (unmarked.length === 1) setImmediate(flushMarks);
    };

    const payloads = pipeline.payloads(event);
    const followUps: FollowUp[] = [];
    const later = (m: Match, deliveryId: string, priorFailures: number, delayMs: number) => {
      followUps.push({
        name: 'delivery',
        data: {
          kind: 'delivery',
          deliveryId,
          project: event.project,
          webhookId: m.webhook.id,
          webhookEvent: m.event,
          event,
          priorFailures,
          handedOffAt: Date.now(),
        },
        opts: deliveryJobOptions(deliveryId, delayMs, deps.retryScheduleMs),
      });
    };
    // Placeholders become durable with the addBulk below; detached attempts settle only after it.
    let placeholderWritten!: () => void;
    let placeholderFailed!: (err: unknown) => void;
    const placeholder = new Promise<void>((resolve, reject) => {
      placeholderWritten = resolve;
      placeholderFailed = reject;
    });
    placeholder.catch(() => {}); // concludeDetached handles a failure

    const decide = async (m: Match, deliveryId: string, outcome: AttemptOutcome): Promise<Settlement> => {
      const next = await settleAndRecord(
        deps,
        { deliveryId, project: event.project, webhookId: m.webhook.id, webhookName: m.webhook.name, webhookEvent: m.event, event, attempts: 1, outcome },
        m.webhook.retry,
        deps.retryScheduleMs,
      );
      if (next.outcome === 'success') metrics.eventToDelivery.observe(Math.max(0, Date.now() - job.timestamp) / 1000);
      return next;
    };

    try {
      await forEachLimit(matches, parallelism, async (m) => {
        const deliveryId = deliveryIdOf(jobId, m.webhook.id, m.event);
        if (done?.has(deliveryId)) return;
        const result = await pipeline.attempt({
          deliveryId,
          attempt: 1,
          webhookId: m.webhook.id,
          webhookEvent: m.event,
          event,
          target: m.webhook,
          payloads,
        });
        if (result.kind === 'parked') {
          later(m, deliveryId, 0, result.retryInMs);
          return;
        }
        if (result.kind === 'detached') {
          later(m, deliveryId, 0, result.remainingMs + PLACEHOLDER_GRACE_MS);
          void concludeDetached(deps, {
            jobId: deliveryId,
            placeholder,
            settled: result.settled,
            decide: (outcome) => decide(m, deliveryId, outcome),
          });
          return;
        }
        const next = await decide(m, deliveryId, result.outcome);
        if (next.outcome === 'retrying') later(m, deliveryId, 1, next.delayMs);
        else markDone(deliveryId);
      });
      if (followUps.length > 0) await deliveries.addBulk(followUps);
    } catch (err) {
      placeholderFailed(err);
      throw err;
    }
    placeholderWritten();
    if (tracked) {
      flushMarks();
      await Promise.all(marks);
      if (rerun || marks.length > 0) await redis.del(progressKey);
    }
  };
}
