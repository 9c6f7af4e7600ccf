import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKeys } from '../../../src/redis/keys.js';
import { createRegistry } from '../../../src/registry/store.js';
import { TEST_OBJECT_NAMES, WEBHOOK_TEST_TTL_SECONDS, createWebhookTestStore } from '../../../src/registry/webhook-tests.js';
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
    return { keys, store: createWebhookTestStore({ redis, keys }), registry: createRegistry({ redis, keys }) };
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

  describe('tests of a stored webhook', () => {
    const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const HEADER = 'Token protected-value-123';

    it('one test per event; records hold the webhook id, never the secret or a header value; the config reads them from the webhook', async () => {
      const { keys, store, registry } = fresh();
      const hook = await registry.create('p', {
        name: 'all',
        url: 'https://up42.example/hook',
        events: ['pipeline_request_failed', 'deployment_request_started'],
        headers: [{ key: 'Authorization', value: HEADER, protected: true }],
        secret: SECRET,
        timeout: 7,
        retry: true,
      });
      const tests = await store.createForWebhook(hook);
      expect(tests.map((t) => [t.event, t.status, t.error_message])).toEqual([
        ['pipeline_request_failed', 'pending', null],
        ['deployment_request_started', 'pending', null],
      ]);
      for (const t of tests) {
        const raw = JSON.stringify(await redis.hgetall(keys.webhookTest('p', t.id)));
        expect(raw).toContain(hook.id);
        expect(raw).not.toContain(SECRET);
        expect(raw).not.toContain(HEADER);
        expect(await redis.ttl(keys.webhookTest('p', t.id))).toBeGreaterThan(WEBHOOK_TEST_TTL_SECONDS - 5);
        expect(await store.get('p', t.id)).toEqual({ id: t.id, status: 'pending', error_message: null });
      }
      // A project-wide webhook is tested on a dummy object of the event's type, default version.
      const [pipeline, deployment] = await Promise.all(tests.map((t) => store.getConfig('p', t.id)));
      expect(pipeline).toMatchObject({
        webhookId: hook.id,
        event: 'pipeline_request_failed',
        object_type: 'pipeline',
        object_name: TEST_OBJECT_NAMES.pipeline,
        version: null,
        url: 'https://up42.example/hook',
        headers: [{ key: 'Authorization', value: HEADER, protected: true }],
        timeout: 7,
        retry: true,
        secret: { current: SECRET, previous: null, rotatedAt: null },
      });
      expect(deployment).toMatchObject({ object_type: 'deployment', object_name: 'test-deployment' });

      // The webhook's current settings are used when the test is sent.
      await registry.updateById('p', hook.id, { url: 'https://up42.example/moved', secret: 'rotated' });
      expect(await store.getConfig('p', tests[0]?.id ?? '')).toMatchObject({
        url: 'https://up42.example/moved',
        secret: { current: 'rotated', previous: SECRET },
      });

      // A webhook deleted before its test ran: the test fails, saying why.
      await registry.removeById('p', hook.id);
      expect(await store.getConfig('p', tests[0]?.id ?? '')).toBeNull();
      expect(await store.get('p', tests[0]?.id ?? '')).toMatchObject({ status: 'failed', error_message: expect.stringContaining('deleted') });
    });

    it('a webhook on an object is tested on that object and version', async () => {
      const { store, registry } = fresh();
      const hook = await registry.create('p', { ...input, name: 'scoped', version: 'v3', events: ['deployment_request_finished'] });
      const [test] = await store.createForWebhook(hook);
      expect(await store.getConfig('p', test?.id ?? '')).toMatchObject({
        object_type: 'deployment',
        object_name: 'deployment-1',
        version: 'v3',
        event: 'deployment_request_finished',
        secret: null,
      });
    });
  });
});
