/** Builds the API on a real Redis with a fresh key prefix, capturing logs and enqueued tests. */
import { Writable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import { Registry as MetricsRegistry } from 'prom-client';
import { inject } from 'vitest';
import { type ApiDeps, buildApp } from '../../../src/api/index.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createKeys, type Keys } from '../../../src/redis/keys.js';
import { createRegistry } from '../../../src/registry/store.js';
import { createWebhookTestStore } from '../../../src/registry/webhook-tests.js';
import { uniquePrefix } from '../../helpers/index.js';

export const TOKEN = 'test-token-0123456789abcdef';
export const TOKEN_2 = 'second-token-0123456789abcdef';
export const AUTH = { authorization: `Token ${TOKEN}` };

export interface Harness {
  readonly app: FastifyInstance;
  readonly deps: ApiDeps;
  readonly keys: Keys;
  readonly redis: Redis;
  /** Every log line written so far, raw. */
  readonly logs: () => string;
  readonly enqueued: Array<{ project: string; testId: string }>;
  /** Authenticated JSON request. */
  call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function startApi(overrides: Partial<ApiDeps> = {}): Promise<Harness> {
  const redis = new Redis(inject('redisUrl'));
  const keys = createKeys(uniquePrefix('api'));
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const enqueued: Array<{ project: string; testId: string }> = [];
  const metricsRegistry = new MetricsRegistry();
  const deps: ApiDeps = {
    apiTokens: [TOKEN, TOKEN_2],
    allowHttp: false,
    registry: createRegistry({ redis, keys }),
    webhookTests: createWebhookTestStore({ redis, keys }),
    enqueueWebhookTest: async (project, testId) => {
      enqueued.push({ project, testId });
    },
    publicKey: { alg: 'ed25519', keyid: 'sha512:abc', public_key_pem: '-----BEGIN PUBLIC KEY-----\nMCow\n-----END PUBLIC KEY-----\n' },
    checkReady: async () => (await redis.ping()) === 'PONG',
    metricsRegistry,
    logger: createLogger({ level: 'debug', destination }),
    ...overrides,
  };
  const app = buildApp(deps);
  await app.ready();
  return {
    app,
    deps,
    keys,
    redis,
    logs: () => lines.join(''),
    enqueued,
    call: (method, url, body) =>
      app.inject({
        method,
        url,
        headers: { ...AUTH, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      }),
    async close() {
      await app.close();
      await redis.quit();
    },
  };
}
