/**
 * An in-process delivery engine on the real wiring (src/lifecycle/services.ts) with a test's own
 * prefix, a fresh signing key and loopback receivers allowed. Logs are kept in memory for assertions.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import { afterEach, inject } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { type Producer, createProducer } from '../../src/events/index.js';
import { shardPrefixes } from '../../src/events/shards.js';
import { createServices, type Services } from '../../src/lifecycle/services.js';
import { createLogger } from '../../src/observability/logger.js';
import { type Engine, createEngine } from '../../src/lifecycle/engine.js';
import { type RedisClient, createRedis } from '../../src/redis/index.js';
import {
  type EncryptionKey,
  type Webhook,
  type WebhookCreate,
  createSecretsCipher,
  encryptionKeyId,
} from '../../src/registry/index.js';
import { type VerifyResult, verify } from '../../src/signing/index.js';
import type { RecordedRequest } from './receiver.js';
import { uniquePrefix } from './redis.js';
import { TEST_TOKEN } from './token.js';
import { DELIVERIES_QUEUE } from '../../src/queue/index.js';

export interface TestEngine {
  readonly services: Services;
  readonly engine: Engine;
  readonly producer: Producer;
  readonly publicKeyPem: string;
  /** Every log line written so far, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  /** Raw log text (to check that no secret appears anywhere). */
  logText(): string;
  createWebhook(input: Partial<WebhookCreate> & { url: string }, project?: string): Promise<Webhook>;
  /** The events queue under the engine's prefix (shard 0 when sharded): raw jobs, job states. */
  readonly eventsQueue: Queue;
  /** Every shard's events queue, shard 0 first (one queue without shards). */
  readonly eventsQueues: readonly Queue[];
  /**
   * Waits until the event job `jobId` is completed or failed and returns that state. First
   * attempts run inline in the event job, so once it is settled they are done (retries are not).
   */
  settled(jobId: string, timeoutMs?: number): Promise<'completed' | 'failed'>;
  /** Publishes an event and waits for its job to settle (its first attempts are done). */
  publishSettled(event: Record<string, unknown>): Promise<string>;
  /**
   * Waits until nothing is left to do: no event job and no delivery job (a retry, a parked or
   * detached attempt, a webhook test) waiting, delayed or active, and no attempt in flight. From
   * then on nothing more is sent, so a test can assert exact counts instead of sleeping first.
   */
  idle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A fresh random key for secrets at rest. */
export function testEncryptionKey(): EncryptionKey {
  const key = randomBytes(32);
  return { id: encryptionKeyId(key), key };
}

export interface TestEngineOptions {
  /** The keys for secrets at rest, current first; default one fresh key. */
  readonly encryptionKeys?: readonly EncryptionKey[];
}

export async function startTestEngine(
  redisUrl: string,
  env: Record<string, string> = {},
  options: TestEngineOptions = {},
): Promise<TestEngine> {
  const config = loadConfig(
    {
      HOOKPOST_REDIS_URL: redisUrl,
      HOOKPOST_PREFIX: uniquePrefix('e'),
      HOOKPOST_API_TOKENS: TEST_TOKEN,
      HOOKPOST_SIGNING_KEY_FILE: '/unused',
      HOOKPOST_ENCRYPTION_KEY_FILE: '/unused',
      HOOKPOST_ALLOW_HTTP: 'true',
      HOOKPOST_ALLOW_PRIVATE_TARGETS: 'true',
      HOOKPOST_RETRY_SCHEDULE: '100ms,200ms,300ms',
      HOOKPOST_LOG_LEVEL: 'info',
      HOOKPOST_LOCK_DURATION: '5s',
      ...env,
    },
    {},
  );
  let text = '';
  const logs: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger({ level: config.logLevel, destination });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const cipher = createSecretsCipher(options.encryptionKeys ?? [testEncryptionKey()]);
  const services = createServices(config, logger, privateKey, cipher);
  const engine = createEngine(services);
  await engine.start();
  const producer = createProducer({ redis: redisUrl, prefix: config.prefix, queueName: config.eventsQueue, shards: config.shards });
  const queueConnection: RedisClient = createRedis(config.redis, 'queue');
  const eventsQueues = shardPrefixes(config.prefix, config.shards).map(
    (prefix) => new Queue(config.eventsQueue, { connection: queueConnection, prefix }),
  );
  // Without a listener BullMQ prints each connection error (a failover test kills Redis on purpose).
  for (const q of eventsQueues) q.on('error', () => {});
  queueConnection.on('error', () => {});
  const eventsQueue = eventsQueues[0] as Queue;
  const settled = async (jobId: string, timeoutMs = 30_000): Promise<'completed' | 'failed'> =>
    eventually(
      async () => {
        for (const queue of eventsQueues) {
          const state = await queue.getJobState(jobId);
          if (state === 'completed' || state === 'failed') return state;
        }
        return undefined;
      },
      timeoutMs,
      `event job ${jobId} to settle`,
    );
  const idle = async (timeoutMs = 30_000): Promise<void> => {
    await eventually(
      async () => {
        if (!(await queuesIdle([...eventsQueues, services.deliveries]))) return undefined;
        const inFlight = await services.metricsRegistry.getSingleMetric('hookpost_attempts_in_flight')?.get();
        return (inFlight?.values ?? []).every((v) => v.value === 0);
      },
      timeoutMs,
      'every event and delivery job to settle',
    );
  };
  let n = 0;
  return {
    services,
    engine,
    producer,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    logs,
    logText: () => text,
    createWebhook(input, project = 'demo') {
      return services.registry.create(project, {
        name: `hook-${n++}`,
        object_type: 'deployment',
        object_name: 'model',
        version: 'v1',
        event: 'deployment_request_completed',
        ...input,
      } as WebhookCreate);
    },
    eventsQueue,
    eventsQueues,
    settled,
    async publishSettled(event) {
      const { jobId } = await producer.publish(event);
      await settled(jobId);
      return jobId;
    },
    idle,
    async close() {
      await producer.close();
      await Promise.all(eventsQueues.map((q) => q.close()));
      await queueConnection.quit().catch(() => queueConnection.disconnect());
      await engine.close();
      await services.close();
    },
  };
}

const PENDING_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;

/** True when none of `queues` holds a job waiting, active or delayed. */
async function queuesIdle(queues: readonly Queue[]): Promise<boolean> {
  for (const queue of queues) {
    const counts = await queue.getJobCounts(...PENDING_STATES);
    if (Object.values(counts).some((c) => c > 0)) return false;
  }
  return true;
}

/**
 * For hookpost processes a test runs as children: waits until the events queue (every shard) and the
 * deliveries queue under `prefix` hold no job waiting, active or delayed. An attempt in flight keeps
 * its job active (a detached one, its placeholder delayed), so from then on nothing more is sent.
 */
export async function waitForIdleQueues(
  redisUrl: string,
  prefix: string,
  options: { readonly eventsQueue?: string; readonly shards?: number; readonly timeoutMs?: number } = {},
): Promise<void> {
  const connection = createRedis(redisUrl, 'queue');
  connection.on('error', () => {});
  const queues = [
    ...shardPrefixes(prefix, options.shards ?? 1).map((p) => new Queue(options.eventsQueue ?? 'events', { connection, prefix: p })),
    new Queue(DELIVERIES_QUEUE, { connection, prefix }),
  ];
  try {
    await eventually(() => queuesIdle(queues), options.timeoutMs ?? 60_000, `every job under ${prefix} to settle`);
  } finally {
    await Promise.all(queues.map((q) => q.close()));
    await connection.quit().catch(() => connection.disconnect());
  }
}

/** A producer event with defaults for the fields a test does not care about. */
export function requestEvent(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    project: 'demo',
    object_type: 'deployment',
    object_name: 'model',
    object_id: '0b7d2b8e-7f3c-4c55-9d6f-0e8c9b1a2f30',
    version: 'v1',
    version_id: '6a1f4e2c-1d3b-4f5a-8e7d-9c0b1a2d3e4f',
    request_id: `req-${Math.random().toString(36).slice(2, 10)}`,
    status: 'completed',
    result: { label: 'positive' },
    ...over,
  };
}

/** Polls `check` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Verifies a recorded delivery with the package's own receiver-side verifier. */
export function verifyRecorded(request: RecordedRequest, publicKeyPem: string): Promise<VerifyResult> {
  return verify(
    {
      method: request.method,
      url: `http://${request.headers.host}${request.path}`,
      headers: request.headers,
      body: new Uint8Array(request.body),
    },
    { publicKey: publicKeyPem },
  );
}

/** The payload of a recorded delivery, parsed. */
export function bodyOf(request: RecordedRequest | undefined): Record<string, unknown> {
  if (!request) throw new Error('no such request');
  return JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
}

/**
 * Sum of a counter's (or gauge's) values whose labels include `labels`; 0 when none.
 * For a histogram, sums the `_count` samples.
 */
export async function metricValue(t: TestEngine, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = t.services.metricsRegistry.getSingleMetric(name);
  if (!metric) return 0;
  const { type, values } = await metric.get();
  return values
    .filter((v) => String(type) !== 'histogram' || (v as { metricName?: string }).metricName === `${name}_count`)
    .filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x))
    .reduce((sum, v) => sum + v.value, 0);
}

/**
 * Per-test cleanup for a describe block: `defer(fn)` runs after the test (last registered first);
 * `engine(env)` starts a test engine that is closed then.
 */
export function useTestScope() {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return {
    defer(cleanup: () => unknown) {
      cleanups.push(cleanup);
    },
    async engine(env: Record<string, string> = {}, options: TestEngineOptions = {}): Promise<TestEngine> {
      const t = await startTestEngine(inject('redisUrl'), env, options);
      cleanups.push(() => t.close());
      return t;
    },
  };
}
