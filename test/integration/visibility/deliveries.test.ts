/**
 * The attempt log end to end: a real engine delivers to real receivers, the worker writes the log,
 * and the API (over HTTP) lists, shows, re-delivers and reports health. Schedule 100ms,200ms,300ms.
 */
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { eventually, requestEvent } from '../../helpers/engine.js';
import { type Reply, startReceiver } from '../../helpers/index.js';
import { type Stack, useStack } from '../../helpers/app.js';

const P = '/v2.1/projects/demo';

describe('attempt log and the deliveries API', () => {
  const { defer, stack } = useStack();
  const receiver = async (reply: (n: number) => Reply) => {
    const r = await startReceiver((_req, n) => reply(n));
    defer(() => r.close());
    return r;
  };
  /** Waits until the delivery of `requestId` shows `outcome` in the list. */
  const settledDelivery = (s: Stack, requestId: string, outcome: string) =>
    eventually(
      async () => {
        const { json } = await s.call('GET', `${P}/deliveries?request_id=${requestId}`);
        const item = json.items?.[0];
        return item?.outcome === outcome ? item : undefined;
      },
      10_000,
      `delivery of ${requestId} to be ${outcome}`,
    );

  it('records a success with the webhook name, HTTP status and the response excerpt, never the request', async () => {
    const s = await stack();
    const r = await receiver(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' }));
    const hook = await s.t.createWebhook({
      url: `${r.url}/in`,
      headers: [{ key: 'Authorization', value: 'Bearer super-secret-value', protected: true }],
    } as never);
    const event = requestEvent({ result: { label: 'marker-of-the-payload' } });
    await s.t.publishSettled(event);
    const item = await settledDelivery(s, String(event['request_id']), 'success');
    expect(item).toMatchObject({
      webhook_id: hook.id,
      webhook_name: hook.name,
      event: 'deployment_request_completed',
      request_id: event['request_id'],
      attempt_count: 1,
      http_status: 200,
      error_code: null,
      next_attempt_at: null,
    });
    expect(item.delivery_id).toBe(r.requests[0]?.headers['hookpost-delivery-id']);

    const detail = await s.call('GET', `${P}/deliveries/${item.delivery_id}`);
    expect(detail.status).toBe(200);
    expect(detail.json).toMatchObject({ event_kept: true, dead_letter: false });
    expect(detail.json.attempts).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'success', http_status: 200, response_excerpt: '{"ok":true}', error_message: null }),
    ]);
    expect(Date.parse(detail.json.attempts[0].started_at)).toBeGreaterThan(Date.now() - 60_000);
    // Nothing of the request is stored: no header value, no payload.
    const redis = new Redis(inject('redisUrl'));
    defer(() => redis.quit());
    const keys = await redis.keys(`${s.prefix}:attempts:*`);
    expect(keys.length).toBeGreaterThanOrEqual(4);
    for (const key of keys.filter((k) => k.includes(':delivery:'))) {
      const fields = await redis.hgetall(key);
      const attempts = Object.entries(fields).filter(([f]) => f.startsWith('a')).map(([, v]) => v).join('');
      expect(attempts).not.toContain('super-secret-value');
      expect(attempts).not.toContain('marker-of-the-payload');
    }
    expect(JSON.stringify(detail.json)).not.toContain('super-secret-value');
  });

  it('records each retry with its next attempt time, the final failure, health, and re-delivers the dead letter', async () => {
    const s = await stack();
    let healthy = false;
    const r = await receiver(() => (healthy ? { status: 204 } : { status: 500, body: 'upstream broke' }));
    const hook = await s.t.createWebhook({ url: `${r.url}/in`, retry: true });
    const event = requestEvent();
    await s.t.producer.publish(event);
    const item = await settledDelivery(s, String(event['request_id']), 'failed');
    expect(item).toMatchObject({ attempt_count: 4, http_status: 500, error_code: 'HTTP_500', error_message: 'Received HTTP 500' });

    const { json: detail } = await s.call('GET', `${P}/deliveries/${item.delivery_id}`);
    expect(detail.dead_letter).toBe(true);
    expect(detail.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['retrying', 'retrying', 'retrying', 'failed']);
    expect(detail.attempts.map((a: { attempt: number }) => a.attempt)).toEqual([1, 2, 3, 4]);
    for (const a of detail.attempts.slice(0, 3)) {
      expect(Date.parse(a.next_attempt_at)).toBeGreaterThan(Date.parse(a.started_at));
      expect(a.response_excerpt).toBe('upstream broke');
    }
    expect(detail.attempts[3].next_attempt_at).toBeNull();

    const health = await s.call('GET', `${P}/webhooks/${hook.name}/health`);
    expect(health.json).toMatchObject({
      webhook_name: hook.name,
      last_success_at: null,
      last_failure_message: 'Received HTTP 500',
      recent_attempts: 4,
      recent_successes: 0,
      success_ratio: 0,
      circuit: 'failing',
    });

    healthy = true;
    const again = await s.call('POST', `${P}/deliveries/${item.delivery_id}/redeliver`);
    expect(again).toEqual({ status: 202, json: { delivery_id: item.delivery_id, status: 'queued' } });
    await settledDelivery(s, String(event['request_id']), 'success');
    expect(r.requests.at(-1)?.headers['hookpost-delivery-id']).toBe(item.delivery_id);
    const { json: after } = await s.call('GET', `${P}/deliveries/${item.delivery_id}`);
    expect(after.dead_letter).toBe(false);
    // The log goes on counting: the re-delivery's first attempt is the fifth of the delivery.
    expect(after.attempts.at(-1)).toMatchObject({ attempt: 5, redelivery: true, outcome: 'success', http_status: 204 });
    expect(after.attempts.map((a: { redelivery: boolean }) => a.redelivery)).toEqual([false, false, false, false, true]);
    const { json: healed } = await s.call('GET', `${P}/webhooks-health`);
    expect(healed).toEqual([expect.objectContaining({ webhook_id: hook.id, recent_attempts: 5, recent_successes: 1, circuit: 'closed' })]);
  });

  it('re-delivers a delivered event from the kept event: same id, same payload; a large result is sent as result_truncated', async () => {
    const s = await stack();
    const r = await receiver(() => ({ status: 204 }));
    await s.t.createWebhook({ url: `${r.url}/in`, include_result: true });
    const small = requestEvent({ result: { label: 'positive' } });
    const large = requestEvent({ result: { blob: 'y'.repeat(6_000) } });
    await s.t.publishSettled(small);
    await s.t.publishSettled(large);
    const first = await settledDelivery(s, String(small['request_id']), 'success');
    const second = await settledDelivery(s, String(large['request_id']), 'success');
    expect(r.requests).toHaveLength(2);

    for (const item of [first, second]) {
      expect((await s.call('POST', `${P}/deliveries/${item.delivery_id}/redeliver`)).status).toBe(202);
    }
    await r.waitForRequests(4);
    const byId = (id: string) => r.requests.filter((q) => q.headers['hookpost-delivery-id'] === id).map((q) => JSON.parse(q.body.toString()));
    const [original, resent] = byId(first.delivery_id);
    expect(resent).toEqual(original);
    const [bigOriginal, bigResent] = byId(second.delivery_id);
    expect(bigOriginal.result.blob).toHaveLength(6_000);
    expect(bigResent).toEqual({ ...bigOriginal, result: undefined, result_truncated: true });
    await eventually(async () => (await s.call('GET', `${P}/deliveries/${first.delivery_id}`)).json.attempt_count === 2);
  });

  it('filters, paginates newest first without gaps or repeats, and validates its query', async () => {
    const s = await stack();
    const r = await receiver((n) => (n % 2 === 0 ? { status: 204 } : { status: 404 }));
    const a = await s.t.createWebhook({ url: `${r.url}/a` });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const e = requestEvent({ request_id: `page-${i}` });
      ids.push(String(e['request_id']));
      await s.t.publishSettled(e);
      await settledDelivery(s, `page-${i}`, i % 2 === 0 ? 'success' : 'failed');
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `${P}/deliveries?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const { status, json } = await s.call('GET', query);
      expect(status).toBe(200);
      seen.push(...json.items.map((i: { request_id: string }) => i.request_id));
      cursor = json.next_cursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(seen).toEqual([...ids].reverse());

    const failed = await s.call('GET', `${P}/deliveries?outcome=failed&webhook=${a.name}`);
    expect(failed.json.items.map((i: { request_id: string }) => i.request_id)).toEqual(['page-3', 'page-1']);
    const future = await s.call('GET', `${P}/deliveries?since=${new Date(Date.now() + 60_000).toISOString()}`);
    expect(future.json).toEqual({ items: [], next_cursor: null });

    expect(await s.call('GET', `${P}/deliveries?outcome=lost`)).toEqual({
      status: 400,
      json: { error: 'outcome: must be one of success, failed, refused, skipped, retrying' },
    });
    expect((await s.call('GET', `${P}/deliveries?cursor=not-a-cursor`)).json).toEqual({ error: 'cursor: must be a next_cursor of a previous page' });
    expect((await s.call('GET', `${P}/deliveries?limit=0`)).status).toBe(400);
    expect((await s.call('GET', `${P}/deliveries?webhook=nope`)).json).toEqual({ error: 'webhook "nope" not found' });
    expect((await s.call('GET', `${P}/deliveries/00000000-0000-8000-8000-000000000000`)).status).toBe(404);
    expect((await fetch(`${s.url}${P}/deliveries`)).status).toBe(401);
  });

  it('keeps at most HOOKPOST_ATTEMPT_LOG_PER_WEBHOOK deliveries per webhook and deletes the evicted ones', async () => {
    const s = await stack({ HOOKPOST_ATTEMPT_LOG_PER_WEBHOOK: '3' });
    const r = await receiver(() => ({ status: 204 }));
    await s.t.createWebhook({ url: `${r.url}/in` });
    for (let i = 0; i < 6; i++) await s.t.publishSettled(requestEvent({ request_id: `keep-${i}` }));
    await r.waitForRequests(6);
    await eventually(async () => (await s.call('GET', `${P}/deliveries`)).json.items[0]?.request_id === 'keep-5');
    const redis = new Redis(inject('redisUrl'));
    defer(() => redis.quit());
    await eventually(async () => (await redis.keys(`${s.prefix}:attempts:delivery:*`)).length === 3, 5_000, 'evicted hashes deleted');
    const { json } = await s.call('GET', `${P}/deliveries`);
    expect(json.items.map((i: { request_id: string }) => i.request_id)).toEqual(['keep-5', 'keep-4', 'keep-3']);
    expect(await redis.zcard(`${s.prefix}:attempts:deliveries:demo`)).toBe(3);
  });

  it('records a delivery skipped because its webhook was disabled, and bulk re-drives dead letters by webhook', async () => {
    const s = await stack();
    const r = await receiver(() => ({ status: 503 }));
    const doomed = await s.t.createWebhook({ url: `${r.url}/x`, retry: true });
    const other = await s.t.createWebhook({ url: `${r.url}/y` });
    const e = requestEvent();
    await s.t.publishSettled(e);
    await s.t.services.registry.update('demo', doomed.name, { enabled: false });
    const skipped = await settledDelivery(s, String(e['request_id']), 'skipped');
    // The other webhook's delivery of the same event failed for good (retry: false).
    expect(skipped).toMatchObject({ webhook_id: doomed.id, error_code: 'WEBHOOK_DISABLED', error_message: 'Not sent: the webhook is disabled' });
    const { json: letters } = await s.call('GET', `${P}/dead-letters`);
    expect(letters.map((l: { webhook_id: string }) => l.webhook_id)).toEqual([other.id]);

    expect(await s.call('POST', `${P}/dead-letters/redrive`, { webhook: doomed.name })).toEqual({ status: 202, json: { queued: 0, remaining: 0 } });
    expect(await s.call('POST', `${P}/dead-letters/redrive`, { webhook: other.name })).toEqual({ status: 202, json: { queued: 1, remaining: 0 } });
    expect((await s.call('POST', `${P}/dead-letters/redrive`, { since: 'yesterday' })).json).toEqual({
      error: 'since: must be an ISO-8601 date-time such as 2026-01-05T10:31:00Z',
    });
    await eventually(async () => r.requests.filter((q) => q.path === '/y').length === 2);
  });
});
