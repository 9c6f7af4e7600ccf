/**
 * Isolation end to end: hung, slow, busy and failing destinations never take the capacity healthy
 * deliveries need. Attempts that wait are detached from their job slot (a placeholder job keeps
 * them durable), stuck destinations open their circuit, and open circuits fail fast on schedule.
 */
import { describe, expect, it } from 'vitest';
import { type BlackHole, startBlackHole } from '../../helpers/blackhole.js';
import { eventually, metricValue, requestEvent, type TestEngine, useTestScope } from '../../helpers/engine.js';
import { type Receiver, type Reply, startReceiver } from '../../helpers/index.js';

describe('isolation', () => {
  const { defer, engine } = useTestScope();
  const receiver = async (reply: () => Reply | Promise<Reply>): Promise<Receiver> => {
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

  /** A reply that waits until `release()` is called: a receiver that holds its requests as long as the test wants. */
  const gate = () => {
    let release: () => void = () => {};
    const opened = new Promise<void>((resolve) => {
      release = resolve;
    });
    return { release, held: (reply: Reply) => async () => (await opened, reply) };
  };
  it('four black holes and a concurrency of 8: every healthy event is delivered while the black holes hold their attempts; stuck circuits open and fail fast', async () => {
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

    // Three events per black hole first: 12 attempts that get no answer for 30 s, more than the 8 job slots.
    for (let round = 0; round < 3; round++) {
      for (const object of objects) await t.producer.publish(requestEvent({ request_id: `${object}-${round}`, object_name: object }));
    }
    await eventually(() => holes.every((h) => h.requests() >= 1), 60_000, 'every black hole to hold an attempt');
    const healthyJobs: string[] = [];
    for (let i = 0; i < 20; i++) healthyJobs.push((await t.producer.publish(requestEvent({ request_id: `healthy-${i}` }))).jobId);
    await healthy.waitForRequests(healthyJobs.length, 60_000);
    // Delivered while every black hole still held its attempts: none has timed out (30 s) yet, so the
    // healthy events did not wait for a job slot the black holes held.
    expect(attempts(t).filter((l) => l.errorCode === 'TIMEOUT')).toEqual([]);
    expect(await metricValue(t, 'hookpost_attempts_in_flight', { path: 'detached' })).toBeGreaterThan(0);
    for (const jobId of healthyJobs) expect(await t.settled(jobId, 60_000)).toBe('completed');
    expect(healthy.requests).toHaveLength(healthyJobs.length);
    expect(new Set(healthy.requests.map((r) => r.headers['hookpost-delivery-id'])).size).toBe(healthyJobs.length);

    // Every black hole becomes known as stuck (no answer for 5 s): its circuit opens.
    await eventually(async () => (await metricValue(t, 'hookpost_destinations', { state: 'open' })) === 4, 60_000, 'four open circuits');
    // Deliveries there are then not sent but fail fast, retried on the schedule (100, 200, 300 ms) and dead-lettered.
    const sentBefore = holes.map((h) => h.requests());
    for (const object of objects) await t.producer.publish(requestEvent({ request_id: `${object}-open`, object_name: object }));
    const letters = await eventually(async () => {
      const list = await t.services.deadLetters.list('demo');
      return list.filter((l) => String(l.event.request_id).endsWith('-open')).length === 4 && list;
    }, 60_000, 'dead letters of the black holes');
    for (const letter of letters) {
      expect(letter).toMatchObject({ errorCode: 'CIRCUIT_OPEN', attempts: 4 });
      expect(letter.errorMessage).toMatch(/^Not sent: the destination is failing \(circuit open, next probe in \d+ s\)$/);
    }
    expect(attempts(t).filter((l) => l.errorCode === 'CIRCUIT_OPEN').length).toBeGreaterThanOrEqual(16);
    expect(holes.map((h) => h.requests())).toEqual(sentBefore);
    // The black holes saw only what went out before they were known to be stuck, at most their slow cap.
    for (const hole of holes) expect(hole.requests()).toBeLessThanOrEqual(32); // the slow cap
  }, 180_000);

  it('slow receivers and a concurrency of 8: healthy events are delivered while the slow ones hold theirs; the slow ones are all delivered once', async () => {
    const t = await engine({ HOOKPOST_CONCURRENCY: '8', HOOKPOST_DELIVERY_CONCURRENCY: '8' });
    const healthy = await receiver(() => ({ status: 204 }));
    await t.createWebhook({ url: `${healthy.url}/ok`, object_name: 'model' });
    const hold = gate();
    const slow = await Promise.all([1, 2, 3, 4].map(() => receiver(hold.held({ status: 204 }))));
    const objects = slow.map((_, i) => `slow-${i}`);
    for (const [i, r] of slow.entries()) await t.createWebhook({ url: `${r.url}/hook`, object_name: objects[i], timeout: 60 });

    const perSlow = 3;
    for (let round = 0; round < perSlow; round++) {
      for (const object of objects) await t.producer.publish(requestEvent({ request_id: `${object}-${round}`, object_name: object }));
    }
    await eventually(() => slow.every((r) => r.requests.length === perSlow), 60_000, 'every slow receiver to hold its requests');
    const healthyJobs: string[] = [];
    for (let i = 0; i < 20; i++) healthyJobs.push((await t.producer.publish(requestEvent({ request_id: `healthy-${i}` }))).jobId);
    // The slow receivers answer nothing until released: the healthy events must not need their slots.
    await healthy.waitForRequests(healthyJobs.length, 60_000);
    expect(attempts(t).filter((l) => l.errorCode === 'TIMEOUT')).toEqual([]);
    expect(slow.map((r) => r.requests.length)).toEqual(slow.map(() => perSlow));
    for (const jobId of healthyJobs) expect(await t.settled(jobId, 60_000)).toBe('completed');
    expect(await metricValue(t, 'hookpost_deliveries_total', { outcome: 'success' })).toBe(healthyJobs.length);

    hold.release();
    await eventually(
      async () => (await metricValue(t, 'hookpost_deliveries_total', { outcome: 'success' })) === healthyJobs.length + perSlow * slow.length,
      60_000,
      'every slow delivery to succeed',
    );
    for (const r of slow) {
      expect(r.requests).toHaveLength(perSlow);
      expect(new Set(r.requests.map((q) => q.headers['hookpost-delivery-id'])).size).toBe(perSlow);
    }
    // Each was sent once: its placeholder was removed when it succeeded, nothing is left to fire.
    await t.idle(60_000);
    expect(healthy.requests).toHaveLength(healthyJobs.length);
    for (const r of slow) expect(r.requests).toHaveLength(perSlow);
    expect(await metricValue(t, 'hookpost_deliveries_parked_total', { reason: 'detached' })).toBeGreaterThan(0);
  }, 180_000);

  it('a detached attempt that fails becomes its own retry: same delivery id, attempt 2, then success', async () => {
    const t = await engine();
    const hold = gate();
    let n = 0;
    const r = await receiver(() => (n++ === 0 ? hold.held({ status: 500 })() : { status: 204 }));
    await t.createWebhook({ url: `${r.url}/flaky`, timeout: 30, retry: true });
    await t.publishSettled(requestEvent());
    // The event job let go (at the inline budget) while the receiver still held the request unanswered.
    expect(r.requests).toHaveLength(1);
    expect(attempts(t)).toEqual([]);
    hold.release();
    await r.waitForRequests(2, 30_000);
    await eventually(async () => (await metricValue(t, 'hookpost_deliveries_total', { outcome: 'success' })) === 1, 30_000, 'success');
    const [first, second] = r.requests;
    expect(second?.headers['hookpost-delivery-id']).toBe(first?.headers['hookpost-delivery-id']);
    expect(attempts(t).map((l) => [l.attempt, l.outcome])).toEqual([
      [1, 'failed'],
      [2, 'delivered'],
    ]);
    expect(await metricValue(t, 'hookpost_deliveries_total', { outcome: 'retrying' })).toBe(1);
  }, 60_000);

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
