/**
 * Wiring shared by every process role: one place that turns a Config into connected components.
 * Entrypoints in workers/ only choose which of these to start.
 */
import type { KeyObject } from 'node:crypto';
import { Queue } from 'bullmq';
import { Registry as MetricsRegistry } from 'prom-client';
import type { Config } from '../../config/index.js';
import { type AttemptLogReader, createAttemptLogReader } from '../attempts/index.js';
import { ErrorCode, HookpostError } from '../errors.js';
import { shardPrefixes } from '../events/shards.js';
import type { Logger } from '../observability/logger.js';
import { probeRedisConnection, watchRedisConnection } from '../observability/redis-connection.js';
import { type Metrics, createMetrics } from '../observability/metrics.js';
import { KNOWN_LABEL_VALUES } from './metric-labels.js';
import { type DeadLetterStore, createDeadLetterStore } from '../dead-letters/index.js';
import { DELIVERIES_QUEUE, type DeliveriesJobData, mergeSnapshots, snapshotQueue } from '../queue/index.js';
import {
  type Registry,
  type SecretsCipher,
  type WebhookTestStore,
  createRegistry,
  createWebhookTestStore,
} from '../registry/index.js';
import { type Keys, type RedisClient, assertClusterPrefix, createKeys, createRedis } from '../redis/index.js';
import { type PublicKeyInfo, type Signer, createSigner } from '../signing/index.js';

export interface Services {
  readonly config: Config;
  readonly logger: Logger;
  readonly keys: Keys;
  /** Commands connection: registry, webhook tests, dead letters, shared endpoint health. */
  readonly redis: RedisClient;
  /** Encrypts protected header values and secrets at rest; the registry and webhook tests use it. */
  readonly cipher: SecretsCipher;
  readonly registry: Registry;
  readonly webhookTests: WebhookTestStore;
  readonly deadLetters: DeadLetterStore;
  /** The attempt log as the API reads it (the engine writes it). */
  readonly attempts: AttemptLogReader;
  readonly signer: Signer;
  /** The key that signs. */
  readonly publicKey: PublicKeyInfo;
  /** Every configured key, the signing one first (rotation). */
  readonly publicKeys: readonly PublicKeyInfo[];
  readonly metrics: Metrics;
  readonly metricsRegistry: MetricsRegistry;
  /** Producer side of the deliveries queue (webhook tests, re-drives). */
  readonly deliveries: Queue<DeliveriesJobData>;
  /**
   * True when Redis answers a read of a registry key within 3 s; throws HookpostError REDIS_UNAVAILABLE
   * saying why it is not usable. An answer also clears a Redis problem recorded earlier.
   */
  checkReady(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Connects the shared components. Throws HookpostError CONFIG_INVALID when the prefix cannot be used
 * on the configured Redis Cluster (loadConfig already refuses that; this guards hand-made configs).
 */
export function createServices(
  config: Config,
  logger: Logger,
  /** One key, or several with the signing one first. */
  signingKeys: KeyObject | readonly KeyObject[],
  cipher: SecretsCipher,
): Services {
  assertClusterPrefix(config.redis.kind === 'cluster', config.prefix);
  const keys = createKeys(config.prefix);
  const redis = createRedis(config.redis, 'commands');
  const queueConnection = createRedis(config.redis, 'queue');
  const redisWatch = watchRedisConnection(redis, logger, 'commands', config.redisUrl);
  // A read under the prefix's hash tag: on a cluster it needs the slot range of the registry served.
  const readiness = probeRedisConnection(redisWatch, () => redis.exists(keys.registryVersion()), config.redisUrl);
  watchRedisConnection(queueConnection, logger, 'queues', config.redisUrl);
  const deliveries = new Queue<DeliveriesJobData>(DELIVERIES_QUEUE, { connection: queueConnection, prefix: config.prefix });
  const events = shardPrefixes(config.prefix, config.shards).map(
    (prefix) => new Queue(config.eventsQueue, { connection: queueConnection, prefix }),
  );
  // Queues re-emit their connection's errors; without a listener BullMQ prints each with its stack.
  for (const q of [deliveries, ...events]) watchRedisConnection(q, logger, `queue ${q.name}`, config.redisUrl);
  const metricsRegistry = new MetricsRegistry();
  const metrics = createMetrics(metricsRegistry, {
    labelValues: KNOWN_LABEL_VALUES,
    readQueues: async () => [
      mergeSnapshots('events', await Promise.all(events.map((q) => snapshotQueue(q, 'events')))),
      await snapshotQueue(deliveries, DELIVERIES_QUEUE),
    ],
  });
  const signer = createSigner(signingKeys);
  return {
    config,
    logger,
    keys,
    redis,
    cipher,
    registry: createRegistry({ redis, keys, cipher }),
    webhookTests: createWebhookTestStore({ redis, keys, cipher }),
    deadLetters: createDeadLetterStore({ redis, keys }),
    attempts: createAttemptLogReader({ redis, keys }),
    signer,
    publicKey: signer.publicKeys[0] as PublicKeyInfo,
    publicKeys: signer.publicKeys,
    metrics,
    metricsRegistry,
    deliveries,
    async checkReady() {
      const problem = await readiness.check();
      if (problem) throw new HookpostError(ErrorCode.REDIS_UNAVAILABLE, problem.message);
      return true;
    },
    async close() {
      readiness.stop();
      await Promise.all([deliveries.close(), ...events.map((q) => q.close())]);
      await Promise.all([redis.quit(), queueConnection.quit()]).catch(() => {
        redis.disconnect();
        queueConnection.disconnect();
      });
    },
  };
}
