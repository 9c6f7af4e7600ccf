/**
 * The delivery engine of a worker process: the events worker (fast path), the deliveries worker
 * (retries, parked deliveries, webhook tests, re-drives), the in-memory match cache and the
 * shared HTTP client. `start()` begins taking jobs; `close()` stops taking jobs and lets
 * in-flight attempts finish (BullMQ waits for active jobs) before closing connections.
 */
import { type Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../../config/index.js';
import { createDeliveryClient, createDestinationGate } from '../delivery/index.js';
import { createMatcher } from '../matching/index.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics, QueueSnapshot } from '../observability/metrics.js';
import { watchRedisConnection } from '../observability/redis-connection.js';
import type { Keys } from '../registry/keys.js';
import type { Registry, WebhookTestStore } from '../registry/index.js';
import type { Signer } from '../signing/index.js';
import { createAttempter } from './attempt.js';
import type { DeadLetterStore } from './dead-letters.js';
import { createDeliveryProcessor } from './delivery-processor.js';
import { decidedBackoff } from './errors.js';
import { createEventProcessor } from './event-processor.js';
import { DELIVERIES_QUEUE, type DeliveriesJobData } from './jobs.js';

export interface EngineDeps {
  readonly config: Config;
  readonly keys: Keys;
  /** Commands connection shared with the registry (not closed by the engine). */
  readonly redis: Redis;
  readonly registry: Registry;
  readonly webhookTests: WebhookTestStore;
  readonly deadLetters: DeadLetterStore;
  /** Where retries and parked deliveries are added (not closed by the engine). */
  readonly deliveries: Queue<DeliveriesJobData>;
  readonly signer: Signer;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

export interface Engine {
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Options every BullMQ connection of hookpost uses (BullMQ's production guide). */
export function bullConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

/** Counts and oldest waiting age of a queue, for the scrape-time gauges. */
export async function snapshotQueue(queue: Queue, name: string): Promise<QueueSnapshot> {
  const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized');
  const [oldest] = await queue.getWaiting(0, 0);
  return {
    queue: name,
    counts,
    oldestWaitingAgeSeconds: oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1000) : 0,
  };
}

export function createEngine(deps: EngineDeps): Engine {
  const { config, keys, redis, registry, webhookTests, deadLetters, deliveries, signer, metrics, logger } = deps;
  const log = logger.child({ component: 'engine' });
  const prefix = config.prefix;
  const connection = bullConnection(config.redisUrl);
  const subscriber = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  for (const c of [connection, subscriber]) watchRedisConnection(c, log, 'engine', config.redisUrl);

  const client = createDeliveryClient({
    allowHttp: config.allowHttp,
    allowPrivateTargets: config.allowPrivateTargets,
  });
  const gate = createDestinationGate({
    maxInFlightPerOrigin: Math.max(8, Math.ceil(config.concurrency / 2)),
    onTransition: (origin, state) => {
      metrics.circuitTransitions.inc({ state });
      log.warn({ origin, state }, 'destination circuit changed');
    },
  });
  const matcher = createMatcher({ source: registry, subscriber, keys, logger: log });
  const attempter = createAttempter({
    client,
    gate,
    signer,
    metrics,
    logger,
  });

  const workerOptions = {
    connection,
    prefix,
    autorun: false,
    concurrency: config.concurrency,
    lockDuration: config.lockDurationMs,
    stalledInterval: config.lockDurationMs,
    // A job stalls when its worker dies; it must be retried, not failed, after a few crashes.
    maxStalledCount: 10,
  };
  const eventsWorker = new Worker(
    config.eventsQueue,
    createEventProcessor({
      matcher,
      attempter,
      deadLetters,
      deliveries,
      redis,
      keys,
      metrics,
      logger,
      retryScheduleMs: config.retryScheduleMs,
    }),
    workerOptions,
  );
  const deliveriesWorker = new Worker<DeliveriesJobData>(
    DELIVERIES_QUEUE,
    createDeliveryProcessor({
      registry,
      webhookTests,
      attempter,
      deadLetters,
      metrics,
      logger,
      retryScheduleMs: config.retryScheduleMs,
    }),
    { ...workerOptions, settings: { backoffStrategy: decidedBackoff } },
  );
  for (const w of [eventsWorker, deliveriesWorker]) {
    watchRedisConnection(w, log, `worker ${w.name}`, config.redisUrl);
    w.on('failed', (job, err) => {
      if (job && err.name !== 'RetryLaterError' && err.name !== 'UnrecoverableError') {
        log.error({ jobId: job.id, queue: w.name, err: err.message }, 'job failed');
      }
    });
  }

  return {
    async start() {
      await matcher.start();
      await Promise.all([eventsWorker.waitUntilReady(), deliveriesWorker.waitUntilReady()]);
      void eventsWorker.run();
      void deliveriesWorker.run();
      log.info({ concurrency: config.concurrency, queue: config.eventsQueue, prefix }, 'engine started');
    },
    async close() {
      // Stop taking jobs and wait for the active ones (their attempts are bounded by 30 s).
      await Promise.all([eventsWorker.close(), deliveriesWorker.close()]);
      await matcher.close();
      await client.close();
      subscriber.disconnect();
      await connection.quit().catch(() => connection.disconnect());
      log.info('engine closed');
    },
  };
}
