/**
 * Webhook tests (UbiOps `webhooks-tests`): a dummy event sent to a configuration that need not be
 * a stored webhook, or, for a stored webhook, one test per subscribed event (`createForWebhook`).
 * Each test is a hash at `keys.webhookTest(project, id)` that expires one day after its creation:
 * `status`, `error_message` (absent when null) and `config`, the tested configuration as JSON, for
 * the worker that sends it. Job data carries only the project and the test id.
 *
 * The header values of a test of a configuration are stored encrypted (secrets-cipher.ts, the test
 * id as associated data), and the whole `config` is deleted as soon as the test settles (completed
 * or failed): only its status and error stay readable for the day.
 *
 * A stored webhook's test keeps only a reference (`webhookId`) and no header value or secret: the
 * worker's `getConfig` reads the webhook then and sends with its current URL, headers, timeout,
 * retry, include_result and secret, like any delivery.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, HookpostError, hasCode } from '../errors.js';
import type { Keys, RedisClient as Redis } from '../redis/index.js';
import {
  type ObjectType,
  type StoredWebhookSecrets,
  type Webhook,
  type WebhookEvent,
  type WebhookHeader,
  isProjectWide,
  objectTypeOf,
} from './model.js';
import { type ReencryptCounts, forEachKey } from './reencrypt-scan.js';
import { defineScript, runScript } from './scripts.js';
import { type SecretsCipher, isEncrypted } from './secrets-cipher.js';
import { type WebhookHeaderInput, createRegistry } from './store.js';

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

/** A test of one subscribed event of a stored webhook (the answer of `createForWebhook`). */
export interface WebhookEventTest extends WebhookTestDetail {
  readonly event: WebhookEvent;
}

/**
 * The object a test of a project-wide webhook reports on: `test-deployment` or `test-pipeline`,
 * by the event's type (the dummy event needs one).
 */
export const TEST_OBJECT_NAMES: Readonly<Record<ObjectType, string>> = Object.freeze({
  deployment: 'test-deployment',
  pipeline: 'test-pipeline',
});

/** The whole tested configuration, secrets included: for the worker only. */
export interface WebhookTestConfig {
  readonly id: string;
  readonly project: string;
  /** The stored webhook tested, when the test is of one; its headers and secret are read from it. */
  readonly webhookId?: string;
  readonly url: string;
  readonly object_type: ObjectType;
  readonly object_name: string;
  readonly event: WebhookEvent;
  readonly headers: readonly WebhookHeader[];
  readonly version: string | null;
  readonly timeout: number;
  readonly retry: boolean;
  readonly include_result: boolean;
  /**
   * The Standard Webhooks secret to sign with: the tested webhook's (read when the config is),
   * null for a test of a configuration. Never stored in the test record.
   */
  readonly secret: StoredWebhookSecrets | null;
  /** ISO-8601. */
  readonly created_at: string;
  /** Set when this process cannot decrypt the header values or the webhook's secret (never sent then). */
  readonly secretsUnreadable?: string;
}

/** What the test record holds (no secret; no header values for a stored webhook's test). */
type StoredTestConfig = Omit<WebhookTestConfig, 'secret' | 'secretsUnreadable'>;

export interface WebhookTestStore {
  /** Stores a pending test for one day and returns its public view. */
  create(project: string, input: WebhookTestCreate): Promise<WebhookTestDetail>;
  /**
   * Stores one pending test per subscribed event of `webhook` (in the order of its events) and
   * returns them. A project-wide webhook's dummy event is on `TEST_OBJECT_NAMES[type]`, default version.
   */
  createForWebhook(webhook: Webhook): Promise<WebhookEventTest[]>;
  /** The public view, or null when unknown or expired. */
  get(project: string, id: string): Promise<WebhookTestDetail | null>;
  /**
   * The tested configuration with header values and secret, or null when unknown or expired. A
   * stored webhook's test takes the webhook's current settings; when the webhook is gone the test
   * is finished as failed and null is returned.
   */
  getConfig(project: string, id: string): Promise<WebhookTestConfig | null>;
  /**
   * Records the outcome, keeping the expiry, and deletes the stored configuration (header values
   * included); false when the test is unknown or expired.
   */
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
  /** Encrypts stored header values (and is passed to the registry); see RegistryOptions.cipher. */
  readonly cipher?: SecretsCipher;
}

// KEYS: test. ARGV: status, has error ('1'/'0'), error message. HSET on an existing key keeps its TTL;
// the EXISTS check keeps an expired test from coming back without one. The config (header values)
// is not needed once settled.
const FINISH = defineScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1])
redis.call('HDEL', KEYS[1], 'config')
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[1], 'error_message', ARGV[3])
else
  redis.call('HDEL', KEYS[1], 'error_message')
end
return 1
`);

const isStatus = (value: string | undefined): value is WebhookTestStatus =>
  (WEBHOOK_TEST_STATUSES as readonly (string | undefined)[]).includes(value);

/** Associated data of a test's encrypted header values. */
const testContext = (id: string) => `webhook-test:${id}`;

/** The config with every header value transformed (a test's headers are all kept private). */
const mapHeaderValues = (config: StoredTestConfig, transform: (value: string) => string): StoredTestConfig => ({
  ...config,
  headers: config.headers.map((h) => ({ ...h, value: transform(h.value) })),
});

export function createWebhookTestStore({ redis, keys, cipher }: WebhookTestStoreOptions): WebhookTestStore {
  const registry = createRegistry({ redis, keys, cipher });
  const seal = (config: StoredTestConfig) =>
    cipher === undefined ? config : mapHeaderValues(config, (v) => cipher.encrypt(v, testContext(config.id)));
  const open = (config: StoredTestConfig) =>
    mapHeaderValues(config, (v) => {
      if (cipher !== undefined) return cipher.decrypt(v, testContext(config.id));
      if (isEncrypted(v)) {
        throw new HookpostError(ErrorCode.SECRET_UNREADABLE, `webhook test ${config.id} has encrypted headers and no encryption key is configured`);
      }
      return v;
    });

  const store = async (configs: readonly StoredTestConfig[]): Promise<void> => {
    const tx = redis.multi();
    for (const config of configs) {
      const key = keys.webhookTest(config.project, config.id);
      tx.hset(key, { status: 'pending', config: JSON.stringify(seal(config)) }).expire(key, WEBHOOK_TEST_TTL_SECONDS);
    }
    const replies = await tx.exec();
    const failed = replies?.find(([err]) => err !== null)?.[0];
    if (replies === null || failed) throw failed ?? new Error('webhook test transaction aborted');
  };

  const finish: WebhookTestStore['finish'] = async (project, id, status, errorMessage) => {
    const result = await runScript(
      redis,
      FINISH,
      [keys.webhookTest(project, id)],
      [status, errorMessage === null ? '0' : '1', errorMessage ?? ''],
    );
    return result === 1;
  };

  return {
    async create(project, input) {
      const id = randomUUID();
      const config: StoredTestConfig = {
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
      await store([config]);
      return { id, status: 'pending', error_message: null };
    },

    async createForWebhook(webhook) {
      const createdAt = new Date().toISOString();
      const configs = webhook.events.map((event): StoredTestConfig => {
        const objectType = objectTypeOf(event);
        return {
          id: randomUUID(),
          project: webhook.project,
          webhookId: webhook.id,
          url: webhook.url,
          object_type: objectType,
          object_name: isProjectWide(webhook) ? TEST_OBJECT_NAMES[objectType] : webhook.object_name,
          event,
          headers: [],
          version: webhook.version,
          timeout: webhook.timeout,
          retry: webhook.retry,
          include_result: webhook.include_result,
          created_at: createdAt,
        };
      });
      await store(configs);
      return configs.map((c) => ({ id: c.id, event: c.event, status: 'pending', error_message: null }));
    },

    async get(project, id) {
      const [status, errorMessage] = await redis.hmget(keys.webhookTest(project, id), 'status', 'error_message');
      if (status === null || status === undefined || !isStatus(status)) return null;
      return { id, status, error_message: errorMessage ?? null };
    },

    async getConfig(project, id) {
      const json = await redis.hget(keys.webhookTest(project, id), 'config');
      if (json === null) return null;
      const stored = JSON.parse(json) as StoredTestConfig;
      let config: StoredTestConfig;
      try {
        config = open(stored);
      } catch (err) {
        if (!hasCode(err, ErrorCode.SECRET_UNREADABLE)) throw err;
        // Sent never (the pipeline refuses it); the test fails with the reason instead of the job.
        return { ...mapHeaderValues(stored, () => ''), secret: null, secretsUnreadable: err.message };
      }
      if (config.webhookId === undefined) return { ...config, secret: null };
      const webhook = await registry.getById(project, config.webhookId);
      if (webhook === null) {
        await finish(project, id, 'failed', 'the webhook was deleted before the test was sent');
        return null;
      }
      return {
        ...config,
        url: webhook.url,
        headers: webhook.headers,
        timeout: webhook.timeout,
        retry: webhook.retry,
        include_result: webhook.include_result,
        secret: webhook.secret,
        ...(webhook.secretsUnreadable === undefined ? {} : { secretsUnreadable: webhook.secretsUnreadable }),
      };
    },

    finish,
  };
}

// KEYS: test. ARGV: expected config, new config. 1: written; 0: changed or settled meanwhile.
const REWRITE_CONFIG = defineScript(`
if redis.call('HGET', KEYS[1], 'config') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'config', ARGV[2])
return 1
`);

/**
 * Re-encrypts the header values of every pending webhook test under the current key (settled
 * tests keep none). Counts as `reencryptWebhooks`; a test settled meanwhile is simply skipped.
 */
export async function reencryptWebhookTests(
  { redis, keys, cipher }: Required<WebhookTestStoreOptions>,
  log: (err: unknown, key: string) => void = () => {},
): Promise<ReencryptCounts> {
  const counts = { scanned: 0, rewritten: 0, current: 0, unreadable: 0 };
  await forEachKey(redis, keys.webhookTest('*', '*'), async (key) => {
    const json = await redis.hget(key, 'config');
    if (json === null) return;
    counts.scanned++;
    const config = JSON.parse(json) as StoredTestConfig;
    if (config.headers.every((h) => cipher.isCurrent(h.value))) {
      counts.current++;
      return;
    }
    let sealed: string;
    try {
      const context = testContext(config.id);
      sealed = JSON.stringify(mapHeaderValues(config, (v) => cipher.encrypt(cipher.decrypt(v, context), context)));
    } catch (err) {
      counts.unreadable++;
      log(err, key);
      return;
    }
    // 0: the test settled meanwhile, and its config is gone: nothing left to re-encrypt.
    if ((await runScript(redis, REWRITE_CONFIG, [key], [json, sealed])) === 1) counts.rewritten++;
  });
  return counts;
}
