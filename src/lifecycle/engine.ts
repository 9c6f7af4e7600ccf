/**
 * The delivery engine of a worker process: the events worker (fast path), the deliveries worker
 * (retries, parked deliveries, placeholders, webhook tests, re-drives), the in-memory match cache,
 * the delivery pipeline and the shared HTTP client. `start()` begins taking jobs; `close()` stops
 * taking jobs and lets in-flight attempts finish (BullMQ waits for active jobs, then detached
 * attempts get the rest of the grace period) before closing connections.
 */
import type { Queue } from 'bullmq';
import type { Config } from '../../config/index.js';
import { DISABLED_ATTEMPT_LOG, createAttemptLogWriter } from '../attempts/index.js';
import {
  createDeliveryClient,
  createDeliveryPipeline,
  createDestinationGate,
  createSharedHealth,
  defaultSignatureSchemes,
} from '../delivery/index.js';
import { DEFAULT_MAX_EVENT_BYTES } from '../events/index.js';
import { shardPrefix } from '../events/shards.js';
import { createMatcher } from '../matching/index.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { watchRedisConnection } from '../observability/redis-connection.js';
import { type Keys, type RedisClient, createRedis } from '../redis/index.js';
import type { Registry, WebhookTestStore } from '../registry/index.js';
import type { Signer } from '../signing/index.js';
import type { DeadLetterStore } from '../dead-letters/index.js';
import {
  DELIVERIES_QUEUE,
  type DeliveriesJobData,
  GuardedWorker,
  createDeliveryProcessor,
  createEventProcessor,
  createEventsQueues,
} from '../queue/index.js';
import { decidedBackoff } from '../retry/index.js';

export interface EngineDeps {
  readonly config: Config;
  readonly keys: Keys;
  /** Commands connection shared with the registry (not closed by the engine). */
  readonly redis: RedisClient;
  readonly registry: Registry;
  readonly webhookTests: WebhookTestStore;
  readonly deadLetters: DeadLetterStore;
  /** Where retries and parked deliveries are added (not closed by the engine). */
  readonly deliveries: Queue<DeliveriesJobData>;
  /** Signs every delivery (RFC 9421); the pipeline's signature schemes are built on it. */
  readonly signer: Signer;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

export interface Engine {
  start(): Promise<void>;
  close(): Promise<void>;
}

export function createEngine(deps: EngineDeps): Engine {
  const { config, keys, redis, registry, webhookTests, deadLetters, deliveries, signer, metrics, logger } = deps;
  const log = logger.child({ component: 'engine' });
  const prefix = config.prefix;
  const connection = createRedis(config.redis, 'queue');
  const subscriber = createRedis(config.redis, 'subscriber');
  for (const c of [connection, subscriber]) watchRedisConnection(c, log, 'engine', config.redisUrl);

  const client = createDeliveryClient({
    allowHttp: config.allowHttp,
    allowPrivateTargets: config.allowPrivateTargets,
  });
  const gate = createDestinationGate({
    maxInFlightPerOrigin: config.maxPerDestination,
    slowMaxInFlightPerOrigin: config.slowMaxPerDestination,
    slowAfterMs: config.inlineBudgetMs,
    onTransition: (origin, state, reason) => {
      metrics.circuitTransitions.inc({ state });
      log.warn({ origin, state, reason }, 'destination circuit changed');
      health.onTransition(origin, state, reason);
    },
  });
  const health = createSharedHealth({ redis, subscriber, keys, gate, logger: log });
  const matcher = createMatcher({ source: registry, subscriber, keys, logger: log });
  const pipeline = createDeliveryPipeline({
    client,
    gate,
    schemes: defaultSignatureSchemes(signer),
    metrics,
    logger,
    inlineBudgetMs: config.inlineBudgetMs,
    maxDetached: config.maxDetachedAttempts,
  });
  metrics.setEngineStats(() => ({ inFlight: pipeline.inFlight(), destinations: gate.stats() }));
  const attempts =
    config.attemptLogPerWebhook === 0
      ? DISABLED_ATTEMPT_LOG
      : createAttemptLogWriter({
          redis,
          keys,
          logger: log,
          maxPerWebhook: config.attemptLogPerWebhook,
          maxAgeMs: config.attemptLogMaxAgeMs,
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
  /** Guards of every worker: the consumer loop's watchdog reports here (src/queue/worker.ts). */
  const loopWatch = (queue: string) => ({
    onStall: (event: { readonly state: 'stalled' } | { readonly state: 'recovered'; readonly stalledMs: number }) => {
      if (event.state === 'stalled') log.warn({ queue }, 'worker blocking connection stalled: polling for jobs until it answers');
      else log.info({ queue, stalledMs: event.stalledMs }, 'worker blocking connection answers again');
    },
  });
  const processEvent = createEventProcessor({
    matcher,
    pipeline,
    deadLetters,
    attempts,
    deliveries,
    redis,
    keys,
    metrics,
    logger,
    retryScheduleMs: config.retryScheduleMs,
    maxEventBytes: DEFAULT_MAX_EVENT_BYTES,
  });
  // One events worker per consumed shard (src/events/shards.ts; one shard is the single queue of
  // old), sharing the process's event slots so HOOKPOST_CONCURRENCY stays the process's total.
  const shardConcurrency = Math.max(1, Math.ceil(config.concurrency / config.shardsConsumed.length));
  const eventsWorkerOn = (queuePrefix: string) =>
    new GuardedWorker(
      config.eventsQueue,
      processEvent,
      { ...workerOptions, concurrency: shardConcurrency, prefix: queuePrefix },
      {
        ...loopWatch(queuePrefix),
        retention: { completed: config.eventsKeepCompleted, failed: config.eventsKeepFailed },
        // The same cap as the processor's, checked before BullMQ parses the job's data.
        maxDataBytes: DEFAULT_MAX_EVENT_BYTES,
      },
    );
  const consumedPrefixes = config.shardsConsumed.map((shard) => shardPrefix(prefix, shard, config.shards));
  const eventsWorkers = consumedPrefixes.map(eventsWorkerOn);
  // The previous shard tags' queues (drained while they hold jobs), the shard map, unconsumed queues.
  const eventsQueues = createEventsQueues({
    config,
    connection,
    metrics,
    log,
    startDrain(queuePrefix) {
      const worker = eventsWorkerOn(queuePrefix);
      watchWorker(worker);
      void worker.run();
      return worker;
    },
  });
  const deliveriesWorker = new GuardedWorker<DeliveriesJobData>(
    DELIVERIES_QUEUE,
    createDeliveryProcessor({
      registry,
      webhookTests,
      pipeline,
      deadLetters,
      attempts,
      deliveries,
      metrics,
      logger,
      retryScheduleMs: config.retryScheduleMs,
    }),
    {
      ...workerOptions,
      concurrency: config.deliveryConcurrency,
      settings: { backoffStrategy: decidedBackoff },
      // Only for jobs that name no retention of their own (ours do): foreign jobs must not pile up.
      removeOnComplete: { count: 0 },
      removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
    },
    loopWatch(prefix),
  );
  const workers = [...eventsWorkers, deliveriesWorker];
  function watchWorker(w: GuardedWorker<unknown>): void {
    watchRedisConnection(w, log, `worker ${w.name}`, config.redisUrl);
    w.on('failed', (job, err) => {
      if (job && err.name !== 'RetryLaterError' && err.name !== 'UnrecoverableError') {
        log.error({ jobId: job.id, queue: w.name, err: err.message }, 'job failed');
      }
    });
  }
  for (const w of workers) watchWorker(w as GuardedWorker<unknown>);

  return {
    async start() {
      await matcher.start();
      await health.start();
      await Promise.all(workers.map((w) => w.waitUntilReady()));
      for (const w of workers) void w.run();
      log.info(
        {
          concurrency: config.concurrency,
          // The queues this worker consumes, by key prefix and name.
          queues: [...consumedPrefixes.map((p) => `${p}:${config.eventsQueue}`), `${prefix}:${DELIVERIES_QUEUE}`],
          prefix,
          shards: config.shardsConsumed,
          shardCount: config.shards,
        },
        'engine started',
      );
      // The first queue check is usually quick; a Redis that does not answer must not hold the start.
      await Promise.race([eventsQueues.start(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    },
    async close() {
      const closingAt = Date.now();
      // Stop taking jobs and wait for the active ones (their inline attempts are bounded by the budget).
      await Promise.all([eventsQueues.close(), ...workers.map((w) => w.close())]);
      // Detached attempts are covered by their placeholders; letting them finish saves a re-send.
      await pipeline.drain(Math.max(0, config.shutdownTimeoutMs - 2_000 - (Date.now() - closingAt)));
      pipeline.abandon();
      await attempts.close();
      await matcher.close();
      await health.close();
      await client.close({ force: true });
      subscriber.disconnect();
      await connection.quit().catch(() => connection.disconnect());
      log.info('engine closed');
    },
  };
}
