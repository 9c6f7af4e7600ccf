/**
 * Webhook tests (UbiOps `webhooks-tests`): a dummy event sent to a configuration that need not be
 * a stored webhook. Each test is a hash at `keys.webhookTest(project, id)` that expires one day
 * after its creation: `status`, `error_message` (absent when null) and `config`, the tested
 * configuration as JSON, header values included, for the worker that sends it. Job data carries
 * only the project and the test id.
 */
import { randomUUID } from 'node:crypto';
import type { RedisClient as Redis } from '../redis/index.js';
import type { Keys } from './keys.js';
import type { ObjectType, WebhookEvent, WebhookHeader } from './model.js';
import { defineScript, runScript } from './scripts.js';
import type { WebhookHeaderInput } from './store.js';

/** How long a test stays readable, in seconds (one day). */
export const WEBHOOK_TEST_TTL_SECONDS = 86_400;

export const WEBHOOK_TEST_STATUSES = ['pending', 'completed', 'failed'] as const;
export type WebhookTestStatus = (typeof WEBHOOK_TEST_STATUSES)[number];

/** What a test needs (UbiOps `WebhookTestCreate`); optional fields default as for webhooks. */
export interface WebhookTestCreate {
  readonly url: string;
  readonly object_type: ObjectType;
  readonly object_name: string;
  readonly event: WebhookEvent;
  readonly headers?: readonly WebhookHeaderInput[];
  readonly version?: string | null;
  /** Seconds, 1-30, default 10. */
  readonly timeout?: number;
  readonly retry?: boolean;
  readonly include_result?: boolean;
}

/** The public view (UbiOps `WebhookTestDetail`). */
export interface WebhookTestDetail {
  readonly id: string;
  readonly status: WebhookTestStatus;
  readonly error_message: string | null;
}

/** The whole tested configuration, secrets included: for the worker only. */
export interface WebhookTestConfig {
  readonly id: string;
  readonly project: string;
  readonly url: string;
  readonly object_type: ObjectType;
  readonly object_name: string;
  readonly event: WebhookEvent;
  readonly headers: readonly WebhookHeader[];
  readonly version: string | null;
  readonly timeout: number;
  readonly retry: boolean;
  readonly include_result: boolean;
  /** ISO-8601. */
  readonly created_at: string;
}

export interface WebhookTestStore {
  /** Stores a pending test for one day and returns its public view. */
  create(project: string, input: WebhookTestCreate): Promise<WebhookTestDetail>;
  /** The public view, or null when unknown or expired. */
  get(project: string, id: string): Promise<WebhookTestDetail | null>;
  /** The tested configuration with header values, or null when unknown or expired. */
  getConfig(project: string, id: string): Promise<WebhookTestConfig | null>;
  /** Records the outcome, keeping the expiry; false when the test is unknown or expired. */
  finish(
    project: string,
    id: string,
    status: 'completed' | 'failed',
    errorMessage: string | null,
  ): Promise<boolean>;
}

export interface WebhookTestStoreOptions {
  readonly redis: Redis;
  readonly keys: Keys;
}

// KEYS: test. ARGV: status, has error ('1'/'0'), error message. HSET on an existing key keeps its TTL;
// the EXISTS check keeps an expired test from coming back without one.
const FINISH = defineScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1])
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[1], 'error_message', ARGV[3])
else
  redis.call('HDEL', KEYS[1], 'error_message')
end
return 1
`);

const isStatus = (value: string | undefined): value is WebhookTestStatus =>
  (WEBHOOK_TEST_STATUSES as readonly (string | undefined)[]).includes(value);

export function createWebhookTestStore({ redis, keys }: WebhookTestStoreOptions): WebhookTestStore {
  return {
    async create(project, input) {
      const id = randomUUID();
      const config: WebhookTestConfig = {
        id,
        project,
        url: input.url,
        object_type: input.object_type,
        object_name: input.object_name,
        event: input.event,
        headers: (input.headers ?? []).map((h) => ({ key: h.key, value: h.value, protected: h.protected ?? false })),
        version: input.version ?? null,
        timeout: input.timeout ?? 10,
        retry: input.retry ?? false,
        include_result: input.include_result ?? false,
        created_at: new Date().toISOString(),
      };
      const key = keys.webhookTest(project, id);
      const replies = await redis
        .multi()
        .hset(key, { status: 'pending', config: JSON.stringify(config) })
        .expire(key, WEBHOOK_TEST_TTL_SECONDS)
        .exec();
      const failed = replies?.find(([err]) => err !== null)?.[0];
      if (replies === null || failed) throw failed ?? new Error('webhook test transaction aborted');
      return { id, status: 'pending', error_message: null };
    },

    async get(project, id) {
      const [status, errorMessage] = await redis.hmget(keys.webhookTest(project, id), 'status', 'error_message');
      if (status === null || status === undefined || !isStatus(status)) return null;
      return { id, status, error_message: errorMessage ?? null };
    },

    async getConfig(project, id) {
      const json = await redis.hget(keys.webhookTest(project, id), 'config');
      return json === null ? null : (JSON.parse(json) as WebhookTestConfig);
    },

    async finish(project, id, status, errorMessage) {
      const result = await runScript(
        redis,
        FINISH,
        [keys.webhookTest(project, id)],
        [status, errorMessage === null ? '0' : '1', errorMessage ?? ''],
      );
      return result === 1;
    },
  };
}
