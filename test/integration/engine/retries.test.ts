/**
 * Retries end to end: the schedule, the stable delivery id, Retry-After within the
 * schedule's bounds, isolation of a retry from the other webhooks of the event, webhooks changed
 * between attempts, dead letters and their re-drive. The helper's schedule is 100ms,200ms,300ms.
 */
import { describe, expect, it } from 'vitest';
import { redriveDeadLetter } from '../../../src/queue/enqueue.js';
import {
  eventually,
  metricValue,
  requestEvent,
  type TestEngine,
  useTestScope,
  verifyRecorded,
} from '../../helpers/engine.js';
import { type Receiver, type Reply, startReceiver } from '../../helpers/index.js';

const EVENT = 'deployment_request_completed';

describe('retries, dead letters and re-drives', () => {
  const { defer, engine } = useTestScope();
  const receiver = async (replies: Reply[] | ((n: number, path: string) => Reply)) => {
    const r = await startReceiver((req, n) =>
      typeof replies === 'function' ? replies(n, req.path) : (replies[n] ?? replies[replies.length - 1] ?? {}),
    );
    defer(() => r.close());
    return r;
  };
  const deliveries = (t: TestEngine, outcome: string) =>
    metricValue(t, 'hookpost_deliveries_total', { event: EVENT, outcome });
  const attemptLines = (t: TestEngine) => t.logs.filter((l) => l.msg === 'delivery attempted');
  const gapMs = (r: Receiver, i: number) => (r.requests[i + 1]?.receivedAt ?? Number.NaN) - (r.requests[i]?.receivedAt ?? 0);

  it('retry: true: 500, 500, 204 is three requests with one delivery id, each freshly signed', async () => {
    const t = await engine();
    const r = await receiver([{ status: 500 }, { status: 500 }, { status: 204 }]);
    const hook = await t.createWebhook({ url: `${r.url}/hook`, retry: true });
    await t.producer.publish(requestEvent());
    await r.waitForRequests(3);
    await eventually(async () => (await deliveries(t, 'success')) === 1, 30_000, 'the success to be counted');
    await t.idle();
    expect(r.requests).toHaveLength(3);

    const ids = new Set(r.requests.map((x) => x.headers['hookpost-delivery-id']));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^[0-9a-f-]{36}$/);
    for (const x of r.requests) expect(await verifyRecorded(x, t.publicKeyPem)).toMatchObject({ ok: true });
    // Same bytes every time: only the signature headers may differ.
    expect(new Set(r.requests.map((x) => x.body.toString())).size).toBe(1);
    // The schedule (with its ±20 % jitter) is respected.
    expect(gapMs(r, 0)).toBeGreaterThanOrEqual(80);
    expect(gapMs(r, 1)).toBeGreaterThanOrEqual(160);

    expect(await deliveries(t, 'success')).toBe(1);
    expect(await deliveries(t, 'retrying')).toBe(2);
    expect(await deliveries(t, 'failed')).toBe(0);
    expect(await metricValue(t, 'hookpost_delivery_retries_total', { event: EVENT })).toBe(2);
    expect(await t.services.deadLetters.list('demo')).toEqual([]);
    const lines = attemptLines(t);
    expect(lines.map((l) => [l.attempt, l.outcome, l.status])).toEqual([
      [1, 'failed', 500],
      [2, 'failed', 500],
      [3, 'delivered', 204],
    ]);
    for (const l of lines) {
      expect(l.deliveryId).toBe([...ids][0]);
      expect(l.webhookId).toBe(hook.id);
    }
  });

  it('retry: false: one 500 is final after exactly one request, and a dead letter', async () => {
    const t = await engine();
    const r = await receiver([{ status: 500 }, { status: 204 }]);
    const hook = await t.createWebhook({ url: `${r.url}/hook`, retry: false });
    const event = requestEvent();
    await t.publishSettled(event);
    await t.idle();
    expect(r.requests).toHaveLength(1);

    const letters = await t.services.deadLetters.list('demo');
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      deliveryId: r.requests[0]?.headers['hookpost-delivery-id'],
      project: 'demo',
      webhookId: hook.id,
      webhookEvent: EVENT,
      attempts: 1,
      errorCode: 'HTTP_500',
      errorMessage: 'Received HTTP 500',
      event: { request_id: event.request_id, status: 'completed' },
    });
    expect(Date.now() - Date.parse(letters[0]?.failedAt ?? '')).toBeLessThan(10_000);
    expect(await deliveries(t, 'failed')).toBe(1);
    expect(await deliveries(t, 'retrying')).toBe(0);
    expect(await metricValue(t, 'hookpost_delivery_retries_total')).toBe(0);
  });

  it('retry: true with a receiver that always fails: 1 + 3 scheduled attempts, then a dead letter', async () => {
    const t = await engine();
    const r = await receiver([{ status: 500 }]);
    await t.createWebhook({ url: `${r.url}/hook`, retry: true });
    await t.producer.publish(requestEvent());
    const [letter] = await eventually(async () => {
      const list = await t.services.deadLetters.list('demo');
      return list.length > 0 ? list : undefined;
    }, 30_000, 'the dead letter');
    await t.idle();
    expect(r.requests).toHaveLength(4);
    expect(new Set(r.requests.map((x) => x.headers['hookpost-delivery-id'])).size).toBe(1);
    expect(letter).toMatchObject({ attempts: 4, errorMessage: 'Received HTTP 500', errorCode: 'HTTP_500' });
    expect(letter?.deliveryId).toBe(r.requests[0]?.headers['hookpost-delivery-id']);
    expect(await deliveries(t, 'retrying')).toBe(3);
    expect(await deliveries(t, 'failed')).toBe(1);
    expect(await deliveries(t, 'success')).toBe(0);
    expect(attemptLines(t).map((l) => l.attempt)).toEqual([1, 2, 3, 4]);
  });

  it('Retry-After on 429/503 is honoured within the schedule: never shorter than asked, at most twice the step', async () => {
    // Steps of 1 s: a retry comes after 0.8-1.2 s, or after Retry-After capped at 2 s.
    const t = await engine({ HOOKPOST_RETRY_SCHEDULE: '1s,1s' });
    const first: Record<string, Reply> = {
      '/asks-2s': { status: 503, headers: { 'Retry-After': '2' } },
      '/asks-30s': { status: 503, headers: { 'Retry-After': '30' } },
      '/asks-0s': { status: 429, headers: { 'Retry-After': '0' } },
      // Retry-After only counts on 429 and 503.
      '/500-asks-2s': { status: 500, headers: { 'Retry-After': '2' } },
    };
    const seen = new Map<string, number[]>();
    const r = await receiver((_n, path) => {
      const times = seen.get(path) ?? [];
      seen.set(path, times);
      times.push(Date.now());
      return times.length === 1 ? (first[path] ?? {}) : { status: 204 };
    });
    for (const path of Object.keys(first)) await t.createWebhook({ url: `${r.url}${path}`, retry: true });
    // A second retry, decided through BullMQ's backoff rather than the fast path (its own origin,
    // so that five failures in a row do not open one origin's circuit).
    const later = await receiver([{ status: 500 }, { status: 503, headers: { 'Retry-After': '2' } }, { status: 204 }]);
    await t.createWebhook({ url: `${later.url}/second-asks-2s`, retry: true });
    await t.producer.publish(requestEvent());
    await r.waitForRequests(8, 6_000);
    await later.waitForRequests(3, 6_000);
    expect(gapMs(later, 0)).toBeGreaterThanOrEqual(780);
    expect(gapMs(later, 0)).toBeLessThanOrEqual(1_700);
    expect(gapMs(later, 1)).toBeGreaterThanOrEqual(1_900);
    expect(gapMs(later, 1)).toBeLessThanOrEqual(2_600);
    const gap = (path: string) => {
      const [a = 0, b = 0] = seen.get(path) ?? [];
      return b - a;
    };
    expect(gap('/asks-2s')).toBeGreaterThanOrEqual(1_900);
    expect(gap('/asks-2s')).toBeLessThanOrEqual(2_600);
    expect(gap('/asks-30s')).toBeGreaterThanOrEqual(1_900);
    expect(gap('/asks-30s')).toBeLessThanOrEqual(2_600);
    expect(gap('/asks-0s')).toBeGreaterThanOrEqual(780);
    expect(gap('/asks-0s')).toBeLessThanOrEqual(1_700);
    expect(gap('/500-asks-2s')).toBeGreaterThanOrEqual(780);
    expect(gap('/500-asks-2s')).toBeLessThanOrEqual(1_700);
    await eventually(async () => (await deliveries(t, 'success')) === 5, 2_000, 'five successes');
  });

  it('a retry of one webhook never re-sends to the other webhooks of the event', async () => {
    const t = await engine();
    const healthy = await receiver([{ status: 204 }]);
    const flaky = await receiver([{ status: 500 }, { status: 204 }]);
    await t.createWebhook({ url: `${healthy.url}/completed`, retry: true });
    await t.createWebhook({ url: `${healthy.url}/finished`, retry: true, event: 'deployment_request_finished' });
    await t.createWebhook({ url: `${flaky.url}/completed`, retry: true });
    await t.producer.publish(requestEvent());
    await flaky.waitForRequests(2);
    await t.idle();
    expect(flaky.requests).toHaveLength(2);
    expect(healthy.requests.map((x) => x.path).sort()).toEqual(['/completed', '/finished']);
    const ids = new Set([...healthy.requests, ...flaky.requests].map((x) => x.headers['hookpost-delivery-id']));
    // One id per (event, webhook): three webhooks, three ids.
    expect(ids.size).toBe(3);
    expect(await deliveries(t, 'success')).toBe(2);
    expect(await deliveries(t, 'retrying')).toBe(1);
  });

  it('between a failed attempt and its retry, a deleted, disabled or re-targeted webhook is honoured', async () => {
    const t = await engine({ HOOKPOST_RETRY_SCHEDULE: '1s' });
    const r = await receiver((n) => (n < 4 ? { status: 500 } : { status: 204 }));
    const other = await receiver([{ status: 204 }]);
    const deleted = await t.createWebhook({ url: `${r.url}/deleted`, retry: true });
    const disabled = await t.createWebhook({
      url: `${r.url}/disabled`,
      retry: true,
      headers: [{ key: 'Authorization', value: 'Token retry-secret-5150', protected: true }],
    });
    const moved = await t.createWebhook({
      url: `${r.url}/moved`,
      retry: true,
      headers: [{ key: 'X-Version', value: 'old' }],
    });
    const rewired = await t.createWebhook({ url: `${r.url}/rewired`, retry: true });
    await t.publishSettled(requestEvent());
    expect(r.requests).toHaveLength(4);
    expect(r.requests.find((x) => x.path === '/disabled')?.headers.authorization).toBe('Token retry-secret-5150');
    expect(await deliveries(t, 'retrying')).toBe(4);
    // The waiting retries carry ids and the event, never header values.
    const waiting = await t.services.deliveries.getDelayed();
    expect(waiting).toHaveLength(4);
    for (const job of waiting) expect(JSON.stringify(job.data)).not.toContain('retry-secret-5150');

    await t.services.registry.remove('demo', deleted.name);
    await t.services.registry.update('demo', disabled.name, { enabled: false });
    await t.services.registry.update('demo', moved.name, {
      url: `${other.url}/new-home`,
      headers: [{ key: 'X-Version', value: 'new' }],
    });
    await t.services.registry.update('demo', rewired.name, { event: 'deployment_request_started' });

    await other.waitForRequests(1, 30_000);
    await eventually(async () => (await deliveries(t, 'skipped')) === 3, 30_000, 'three skipped deliveries');
    await t.idle();
    expect(r.requests).toHaveLength(4);
    expect(other.requests).toHaveLength(1);
    const retried = other.requests[0];
    expect(retried?.path).toBe('/new-home');
    expect(retried?.headers['x-version']).toBe('new');
    expect(retried?.headers['hookpost-delivery-id']).toBe(
      r.requests.find((x) => x.path === '/moved')?.headers['hookpost-delivery-id'],
    );
    expect(await verifyRecorded(retried as NonNullable<typeof retried>, t.publicKeyPem)).toMatchObject({ ok: true });
    expect(await deliveries(t, 'success')).toBe(1);
    expect(await deliveries(t, 'failed')).toBe(0);
    expect(await t.services.deadLetters.list('demo')).toEqual([]);
    const skipped = t.logs.filter((l) => l.msg === 'delivery skipped');
    expect(skipped.map((l) => l.webhookId).sort()).toEqual([deleted.id, disabled.id, rewired.id].sort());
  });

  it('a dead letter re-driven is sent again with the same delivery id and leaves the dead letters', async () => {
    const t = await engine();
    const r = await receiver([{ status: 500 }, { status: 502 }, { status: 204 }]);
    await t.createWebhook({ url: `${r.url}/hook`, retry: false });
    await t.publishSettled(requestEvent());
    const [letter] = await t.services.deadLetters.list('demo');
    const deliveryId = r.requests[0]?.headers['hookpost-delivery-id'] as string;
    expect(letter?.deliveryId).toBe(deliveryId);

    expect(await redriveDeadLetter(t.services, 'demo', 'no-such-delivery')).toBeNull();

    // Still failing: it comes back as a dead letter, with the new error.
    expect(await redriveDeadLetter(t.services, 'demo', deliveryId)).toMatchObject({ deliveryId, attempts: 1 });
    await r.waitForRequests(2);
    const again = await eventually(
      async () => (await t.services.deadLetters.get('demo', deliveryId)) ?? undefined,
      5_000,
      'the dead letter again',
    );
    expect(again).toMatchObject({ errorMessage: 'Received HTTP 502', attempts: 1 });

    expect(await redriveDeadLetter(t.services, 'demo', deliveryId)).not.toBeNull();
    await r.waitForRequests(3);
    await eventually(async () => (await deliveries(t, 'success')) === 1, 30_000, 'the re-drive to succeed');
    await t.idle();
    expect(r.requests).toHaveLength(3);
    for (const x of r.requests) {
      expect(x.headers['hookpost-delivery-id']).toBe(deliveryId);
      expect(await verifyRecorded(x, t.publicKeyPem)).toMatchObject({ ok: true });
    }
    expect(new Set(r.requests.map((x) => x.body.toString())).size).toBe(1);
    expect(await t.services.deadLetters.list('demo')).toEqual([]);
    expect(await t.services.deadLetters.get('demo', deliveryId)).toBeNull();
    expect(await deliveries(t, 'failed')).toBe(2);
  });
});
