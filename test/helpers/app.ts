/**
 * The API for tests, in two builds:
 * - `useStack()`: the engine and the API on one private prefix, the API built as the api and local
 *   processes build it (`buildProcessApp`), listening on a free loopback port so browsers, the CLI
 *   and generated clients reach it over real HTTP. The default for anything end to end.
 * - `startApi(overrides)`: the API alone (`buildApp`) on a real Redis with a fresh prefix and injected
 *   dependencies, for tests of the HTTP surface that replace one of them (a failing registry, other
 *   tokens or keys) or check what would be enqueued without a worker.
 * Both accept {@link TEST_TOKEN}.
 */
import { Writable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import { Registry as MetricsRegistry } from 'prom-client';
import { inject } from 'vitest';
import { type ApiDeps, buildApp } from '../../src/api/index.js';
import { buildProcessApp } from '../../src/lifecycle/run.js';
import { createLogger } from '../../src/observability/logger.js';
import { createKeys, type Keys } from '../../src/redis/keys.js';
import { createRegistry } from '../../src/registry/store.js';
import { createWebhookTestStore } from '../../src/registry/webhook-tests.js';
import { type TestEngine, useTestScope } from './engine.js';
import { uniquePrefix } from './redis.js';
import { TEST_AUTH, TEST_TOKEN } from './token.js';

export { TEST_AUTH, TEST_TOKEN };

export interface Stack {
  readonly t: TestEngine;
  readonly app: FastifyInstance;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly prefix: string;
  // biome-ignore lint/suspicious/noExplicitAny: API answers of several shapes, checked by the tests' expectations
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
}

/** Starts the stack for the current test (closed after it). */
export function useStack() {
  const scope = useTestScope();
  return {
    ...scope,
    async stack(env: Record<string, string> = {}): Promise<Stack> {
      const t = await scope.engine(env);
      const s = t.services;
      // The process's own app: every route module on these services (config.apiTokens holds TEST_TOKEN).
      const app = buildProcessApp(s);
      await app.listen({ host: '127.0.0.1', port: 0 });
      scope.defer(() => app.close());
      const address = app.server.address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      return {
        t,
        app,
        url,
        prefix: s.config.prefix,
        async call(method, path, body) {
          const res = await fetch(`${url}${path}`, {
            method,
            headers: { ...TEST_AUTH, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
          const text = await res.text();
          return { status: res.status, json: text ? JSON.parse(text) : null };
        },
      };
    },
  };
}

/** Builds the API alone on a real Redis with a fresh key prefix, capturing logs and enqueued tests. */
/** A second token `startApi` accepts (to test several configured tokens). */
export const SECOND_TEST_TOKEN = 'second-token-0123456789abcdef';

export interface ApiHarness {
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

export async function startApi(overrides: Partial<ApiDeps> = {}): Promise<ApiHarness> {
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
    apiTokens: [TEST_TOKEN, SECOND_TEST_TOKEN],
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
        headers: { ...TEST_AUTH, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      }),
    async close() {
      await app.close();
      await redis.quit();
    },
  };
}
