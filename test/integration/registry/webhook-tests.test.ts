import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKeys } from '../../../src/registry/keys.js';
import { WEBHOOK_TEST_TTL_SECONDS, createWebhookTestStore } from '../../../src/registry/webhook-tests.js';
import { uniquePrefix } from '../../helpers/index.js';

describe('webhook test store', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    await redis.quit();
  });

  const fresh = () => {
    const keys = createKeys(uniquePrefix('wt'));
    return { keys, store: createWebhookTestStore({ redis, keys }) };
  };

  const input = {
    url: 'https://callback-url-webhook-1.com',
    object_type: 'deployment',
    object_name: 'deployment-1',
    event: 'deployment_request_finished',
  } as const;

  it('creates a pending test that expires after a day, keeping the whole configuration', async () => {
    const { keys, store } = fresh();
    const created = await store.create('p', {
      ...input,
      headers: [{ key: 'Authorization', value: 'Token 123', protected: true }],
    });
    expect(created).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'pending', error_message: null });
    expect(await store.get('p', created.id)).toEqual(created);
    const ttl = await redis.ttl(keys.webhookTest('p', created.id));
    expect(ttl).toBeGreaterThan(WEBHOOK_TEST_TTL_SECONDS - 5);
    expect(ttl).toBeLessThanOrEqual(86_400);
    expect(await store.getConfig('p', created.id)).toEqual({
      ...input,
      id: created.id,
      project: 'p',
      headers: [{ key: 'Authorization', value: 'Token 123', protected: true }],
      version: null,
      timeout: 10,
      retry: false,
      include_result: false,
      secret: null,
      created_at: expect.any(String),
    });
  });

  it('records completed and failed outcomes without touching the expiry', async () => {
    const { keys, store } = fresh();
    const { id } = await store.create('p', input);
    await redis.expire(keys.webhookTest('p', id), 1_000);
    expect(await store.finish('p', id, 'failed', 'Connection error')).toBe(true);
    expect(await store.get('p', id)).toEqual({ id, status: 'failed', error_message: 'Connection error' });
    expect(await store.finish('p', id, 'completed', null)).toBe(true);
    expect(await store.get('p', id)).toEqual({ id, status: 'completed', error_message: null });
    const ttl = await redis.ttl(keys.webhookTest('p', id));
    expect(ttl).toBeGreaterThan(990);
    expect(ttl).toBeLessThanOrEqual(1_000);
  });

  it('returns null for unknown or expired tests and does not revive them on finish', async () => {
    const { keys, store } = fresh();
    expect(await store.get('p', 'nope')).toBeNull();
    expect(await store.getConfig('p', 'nope')).toBeNull();
    const { id } = await store.create('p', input);
    expect(await store.get('other', id)).toBeNull();
    await redis.del(keys.webhookTest('p', id));
    expect(await store.finish('p', id, 'completed', null)).toBe(false);
    expect(await redis.exists(keys.webhookTest('p', id))).toBe(0);
    expect(await store.get('p', id)).toBeNull();
  });
});
