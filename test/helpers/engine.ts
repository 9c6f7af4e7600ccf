/**
 * An in-process delivery engine on the real wiring (src/lifecycle/services.ts) with a test's own
 * prefix, a fresh signing key and loopback receivers allowed. Logs are kept in memory for assertions.
 */
import { generateKeyPairSync } from 'node:crypto';
import { Writable } from 'node:stream';
import { loadConfig } from '../../config/index.js';
import { type Producer, createProducer } from '../../src/events/index.js';
import { createServices, createWorkerEngine, type Services } from '../../src/lifecycle/services.js';
import { createLogger } from '../../src/observability/logger.js';
import type { Engine } from '../../src/queue/engine.js';
import type { Webhook, WebhookCreate } from '../../src/registry/index.js';
import { uniquePrefix } from './redis.js';

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
  close(): Promise<void>;
}

export async function startTestEngine(redisUrl: string, env: Record<string, string> = {}): Promise<TestEngine> {
  const config = loadConfig(
    {
      HOOKPOST_REDIS_URL: redisUrl,
      HOOKPOST_PREFIX: uniquePrefix('e'),
      HOOKPOST_API_TOKENS: 'test-token-0123456789',
      HOOKPOST_SIGNING_KEY_FILE: '/unused',
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
  const services = createServices(config, logger, privateKey);
  const engine = createWorkerEngine(services);
  await engine.start();
  const producer = createProducer({ redis: redisUrl, prefix: config.prefix, queueName: config.eventsQueue });
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
    async close() {
      await producer.close();
      await engine.close();
      await services.close();
    },
  };
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
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
