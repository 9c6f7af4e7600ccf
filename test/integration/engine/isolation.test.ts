/**
 * Isolation end to end: hung, slow, busy and failing destinations never take the capacity healthy
 * deliveries need. Attempts that wait are detached from their job slot (a placeholder job keeps
 * them durable), stuck destinations open their circuit, and open circuits fail fast on schedule.
 */
import { describe, expect, it } from 'vitest';
import { type BlackHole, startBlackHole } from '../../helpers/blackhole.js';
import { eventually, metricValue, requestEvent, sleep, type TestEngine, useTestScope } from '../../helpers/engine.js';
import { type Receiver, type Reply, startReceiver } from '../../helpers/index.js';

describe('isolation', () => {
  const { defer, engine } = useTestScope();
  const receiver = async (reply: () => Reply): Promise<Receiver> => {
    const r = await startReceiver(() => reply());
    defer(() => r.close());
    return r;
  };
  const blackHole = async (): Promise<BlackHole> => {
    const b = await startBlackHole();
    defer(() => b.close());
    return b;
  };
  const attempts = (t: TestEngine) => t.logs.filter((l) => l.msg === 'delivery attempted');

  /**
   * Publishes one healthy event every `everyMs` for `forMs`, plus one event per bad object each
   * time; returns each healthy event's latency (publish → arrival) once all have arrived.
   */
  const trickle = async (t: TestEngine, healthy: Receiver, badObjects: readonly string[], forMs: number, everyMs = 50) => {
    const sentAt = new Map<string, number>();
    const until = Date.now() + forMs;
    let n = 0;
    while (Date.now() < until) {
      const id = `healthy-${n++}`;
      sentAt.set(id, Date.now());
      await t.producer.publish(requestEvent({ request_id: id, object_name: 'model' }));
      for (const object of badObjects) await t.producer.publish(requestEvent({ request_id: `${object}-${n}`, object_name: object }));
      await sleep(everyMs);
    }
    await healthy.waitForRequests(sentAt.size, 5_000);
    return healthy.requests.map((r) => {
      const id = JSON.parse(r.body.toString()).request_id as string;
      return r.receivedAt - (sentAt.get(id) ?? Number.NaN);
    });
  };

  it('four black holes and a concurrency of 8: every healthy event arrives fast; stuck circuits open and fail fast', async () => {
    const t = await engine({
      HOOKPOST_CONCURRENCY: '8',
      HOOKPOST_DELIVERY_CONCURRENCY: '8',
      HOOKPOST_SHUTDOWN_TIMEOUT: '2s',
    });
    const healthy = await receiver(() => ({ status: 204 }));
    await t.createWebhook({ url: `${healthy.url}/ok`, object_name: 'model', retry: true });
    const holes = await Promise.all([1, 2, 3, 4].map(() => blackHole()));
    const objects = holes.map((_, i) => `dead-${i}`);
    for (const [i, hole] of holes.entries()) {
      await t.createWebhook({ url: `${hole.url}/hook`, object_name: objects[i], timeout: 30, retry: true });
    }

    // 6.5 s: longer than the 5 s after which a destination with no answer counts as stuck.
    const latencies = await trickle(t, healthy, objects, 6_500);
    expect(latencies.length).toBeGreaterThan(60);
    // Bounded by the inline budget (500 ms), not by the black holes' 30 s timeout.
    expect(Math.max(...latencies)).toBeLessThan(1_000);
    expect(new Set(healthy.requests.map((r) => r.headers['hookpost-delivery-id'])).size).toBe(latencies.length);

    // Every black hole is known to be stuck: its circuit opened, and its deliveries since then were
    // not sent but failed fast, retried on the schedule (100, 200, 300 ms) and dead-lettered.
    await eventually(async () => (await metricValue(t, 'hookpost_destinations', { state: 'open' })) === 4, 3_000, 'four open circuits');
    const notSent = attempts(t).filter((l) => l.errorCode === 'CIRCUIT_OPEN');
    expect(notSent.length).toBeGreaterThan(0);
    const letters = await eventually(async () => {
      const list = await t.services.deadLetters.list('demo');
      return list.length > 0 && list;
    }, 3_000, 'dead letters of the black holes');
    for (const letter of letters) {
      expect(letter).toMatchObject({ errorCode: 'CIRCUIT_OPEN', attempts: 4 });
      expect(letter.errorMessage).toMatch(/^Not sent: the destination is failing \(circuit open, next probe in \d+ s\)$/);
    }
    // The black holes saw only what went out before they were known to be stuck, at most their slow cap.
    for (const hole of holes) expect(hole.requests()).toBeLessThanOrEqual(32); // the slow cap
    expect(await metricValue(t, 'hookpost_attempts_in_flight', { path: 'detached' })).toBeGreaterThan(0);
  }, 20_000);

  it('slow receivers (3 s) and a concurrency of 8: healthy events arrive fast; the slow ones are all delivered once', async () => {
    const t = await engine({ HOOKPOST_CONCURRENCY: '8', HOOKPOST_DELIVERY_CONCURRENCY: '8' });
    const healthy = await receiver(() => ({ status: 204 }));
    await t.createWebhook({ url: `${healthy.url}/ok`, object_name: 'model' });
    const slow = await Promise.all([1, 2, 3, 4].map(() => receiver(() => ({ status: 204, delayMs: 3_000 }))));
    const objects = slow.map((_, i) => `slow-${i}`);
    for (const [i, r] of slow.entries()) await t.createWebhook({ url: `${r.url}/hook`, object_name: objects[i], timeout: 10 });

    const latencies = await trickle(t, healthy, objects, 2_000);
    expect(Math.max(...latencies)).toBeLessThan(1_000);
    const perSlow = latencies.length;
    await eventually(
      async () => (await metricValue(t, 'hookpost_deliveries_total', { outcome: 'success' })) === perSlow * 5,
      10_000,
      'every slow delivery to succeed',
    );
    for (const r of slow) {
      expect(r.requests).toHaveLength(perSlow);
      expect(new Set(r.requests.map((q) => q.headers['hookpost-delivery-id'])).size).toBe(perSlow);
    }
    // Each was sent once: its placeholder was removed when it succeeded, nothing is left to fire.
    expect(await t.services.deliveries.getJobCounts('delayed', 'waiting', 'active')).toEqual({ delayed: 0, waiting: 0, active: 0 });
    expect(await metricValue(t, 'hookpost_deliveries_parked_total', { reason: 'detached' })).toBeGreaterThan(0);
  }, 20_000);

  it('a detached attempt that fails becomes its own retry: same delivery id, attempt 2, then success', async () => {
    const t = await engine();
    let n = 0;
    const r = await receiver(() => (n++ === 0 ? { status: 500, delayMs: 900 } : { status: 204 }));
    await t.createWebhook({ url: `${r.url}/flaky`, timeout: 5, retry: true });
    const startedAt = Date.now();
    await t.publishSettled(requestEvent());
    // The event job let go at the inline budget, before the receiver answered.
    expect(Date.now() - startedAt).toBeLessThan(850);
    await r.waitForRequests(2, 5_000);
    await eventually(async () => (await metricValue(t, 'hookpost_deliveries_total', { outcome: 'success' })) === 1, 3_000, 'success');
    const [first, second] = r.requests;
    expect(second?.headers['hookpost-delivery-id']).toBe(first?.headers['hookpost-delivery-id']);
    expect(attempts(t).map((l) => [l.attempt, l.outcome])).toEqual([
      [1, 'failed'],
      [2, 'delivered'],
    ]);
    expect(await metricValue(t, 'hookpost_deliveries_total', { outcome: 'retrying' })).toBe(1);
  });

  it('a destination at its cap: the overflow is parked, then delivered once each', async () => {
    const t = await engine({ HOOKPOST_MAX_PER_DESTINATION: '8' });
    const busy = await receiver(() => ({ status: 204, delayMs: 300 }));
    const fast = await receiver(() => ({ status: 204 }));
    const count = 20;
    for (let i = 0; i < count; i++) await t.createWebhook({ url: `${busy.url}/hook-${i}` });
    await t.createWebhook({ url: `${fast.url}/other`, event: 'deployment_request_finished' });

    await t.publishSettled(requestEvent());
    expect(busy.requests).toHaveLength(8);
    expect(fast.requests).toHaveLength(1);
    expect(await metricValue(t, 'hookpost_deliveries_parked_total', { reason: 'destination_busy' })).toBe(count - 8);

    await busy.waitForRequests(count, 8_000);
    await eventually(
      async () => (await metricValue(t, 'hookpost_deliveries_total', { outcome: 'success' })) === count + 1,
      3_000,
      'every delivery to succeed',
    );
    expect(new Set(busy.requests.map((r) => r.path)).size).toBe(count);
    expect(new Set(busy.requests.map((r) => r.headers['hookpost-delivery-id'])).size).toBe(count);
    // Parking is not a failed attempt.
    for (const l of attempts(t)) expect(l.attempt).toBe(1);
    // Each overflowing delivery was parked (some more than once while the destination stayed busy).
    const parked = t.logs.filter((l) => l.msg === 'delivery parked' && l.reason === 'destination_busy');
    expect(new Set(parked.map((l) => l.deliveryId)).size).toBe(count - 8);
  });

  it('five failures in a row open the circuit: the next delivery there is not sent, fails fast and is dead-lettered', async () => {
    const t = await engine();
    const down = await receiver(() => ({ status: 500 }));
    const healthy = await receiver(() => ({ status: 204 }));
    await t.createWebhook({ url: `${down.url}/down` });
    await t.createWebhook({ url: `${healthy.url}/up`, event: 'deployment_request_finished' });
    for (let i = 0; i < 5; i++) await t.publishSettled(requestEvent());
    expect(down.requests).toHaveLength(5);
    expect(await t.services.deadLetters.list('demo')).toHaveLength(5);

    await t.publishSettled(requestEvent({ request_id: 'while-open' }));
    expect(down.requests).toHaveLength(5);
    expect(healthy.requests).toHaveLength(6);
    const [line] = attempts(t).filter((l) => l.errorCode === 'CIRCUIT_OPEN');
    expect(line).toMatchObject({ outcome: 'failed', attempt: 1 });
    const letters = await t.services.deadLetters.list('demo');
    expect(letters).toHaveLength(6);
    expect(letters[0]).toMatchObject({ errorCode: 'CIRCUIT_OPEN', event: { request_id: 'while-open' } });
  });

  it('a circuit opening is counted in hookpost_circuit_transitions_total{state="open"}', async () => {
    const t = await engine();
    const down = await receiver(() => ({ status: 500 }));
    await t.createWebhook({ url: `${down.url}/down` });
    for (let i = 0; i < 5; i++) await t.publishSettled(requestEvent());
    expect(await metricValue(t, 'hookpost_circuit_transitions_total', { state: 'open' })).toBe(1);
  });
});
