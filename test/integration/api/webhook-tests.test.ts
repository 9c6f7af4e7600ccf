import { afterEach, describe, expect, it } from 'vitest';
import { type ApiHarness as Harness, startApi } from '../../helpers/app.js';

const TESTS = '/v2.1/projects/project-1/webhooks-tests';

/** The `webhook_tests_create` request example of the UbiOps API reference. */
const SEED_TEST = {
  url: 'https://callback-url-webhook-1.com',
  object_type: 'deployment',
  object_name: 'deployment-1',
  event: 'deployment_request_finished',
};

describe('webhook tests API', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('creates a pending test (201), queues it by id, and reports its outcome', async () => {
    h = await startApi();
    const res = await h.call('POST', TESTS, {
      ...SEED_TEST,
      headers: [{ key: 'Authorization', value: 'Token 123', protected: true }],
    });
    expect(res.statusCode).toBe(201);
    const test = res.json();
    expect(test).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'pending', error_message: null });
    expect(res.body).not.toContain('Token 123');
    expect(h.enqueued).toEqual([{ project: 'project-1', testId: test.id }]);
    // The worker reads the whole configuration, secret included.
    expect(await h.deps.webhookTests.getConfig('project-1', test.id)).toMatchObject({
      ...SEED_TEST,
      headers: [{ key: 'Authorization', value: 'Token 123', protected: true }],
      timeout: 10,
      version: null,
      retry: false,
      include_result: false,
    });

    expect((await h.call('GET', `${TESTS}/${test.id}`)).json()).toEqual(test);
    await h.deps.webhookTests.finish('project-1', test.id, 'failed', 'Connection error');
    const failed = await h.call('GET', `${TESTS}/${test.id}`);
    expect(failed.statusCode).toBe(200);
    expect(failed.json()).toEqual({ id: test.id, status: 'failed', error_message: 'Connection error' });
    await h.deps.webhookTests.finish('project-1', test.id, 'completed', null);
    expect((await h.call('GET', `${TESTS}/${test.id}`)).json()).toEqual({
      id: test.id,
      status: 'completed',
      error_message: null,
    });
    expect(h.logs()).not.toContain('Token 123');
  });

  it('answers 404 for unknown, malformed and other-project test ids', async () => {
    h = await startApi();
    const { id } = (await h.call('POST', TESTS, SEED_TEST)).json();
    for (const url of [
      `${TESTS}/ed64752b-5f05-4c26-9c4f-f1aba5ce38e1`,
      `${TESTS}/not-a-uuid`,
      `/v2.1/projects/project-2/webhooks-tests/${id}`,
    ]) {
      const res = await h.call('GET', url);
      expect(res.statusCode, url).toBe(404);
      expect(res.json()).toEqual({ error: expect.stringContaining('not found') });
    }
  });

  it('validates the test body like a webhook (no name, fields of WebhookTestCreate only)', async () => {
    h = await startApi();
    const cases: Array<[unknown, string]> = [
      [{ ...SEED_TEST, name: 'x' }, 'name: unknown field'],
      [{ ...SEED_TEST, enabled: true }, 'enabled: unknown field'],
      [{ ...SEED_TEST, url: undefined }, 'url: required'],
      [{ ...SEED_TEST, url: 'http://example.com' }, 'url: must use https'],
      [{ ...SEED_TEST, event: 'pipeline_request_started' }, 'event: must be one of deployment_request_started'],
      [{ ...SEED_TEST, timeout: 31 }, 'timeout: must be from 1 to 30'],
      [{ ...SEED_TEST, headers: [{ key: 'Host', value: 'x' }] }, 'headers[0].key: is set by hookpost'],
    ];
    for (const [body, expected] of cases) {
      const res = await h.call('POST', TESTS, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.startsWith(expected), res.json().error).toBe(true);
    }
    expect(h.enqueued).toEqual([]);
  });

  it('answers 503 and marks the test failed when it cannot be queued', async () => {
    h = await startApi({
      enqueueWebhookTest: async () => {
        throw new Error('queue down');
      },
    });
    const res = await h.call('POST', TESTS, SEED_TEST);
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: expect.stringContaining('could not be queued') });
    const ids = await h.redis.keys(`${h.keys.prefix}:webhook-test:*`);
    expect(ids).toHaveLength(1);
    expect(await h.redis.hget(ids[0] ?? '', 'status')).toBe('failed');
  });
});
