/**
 * SPEC §5 isolation end to end: a destination at its concurrency cap or with an open circuit has
 * its deliveries parked on the deliveries queue instead of holding the fast path, and parked
 * deliveries are still delivered once, with their first attempt's number and id.
 */
import { describe, expect, it } from 'vitest';
import {
  eventually,
  metricValue,
  requestEvent,
  useTestScope,
} from '../../helpers/engine.js';
import { type Receiver, type Reply, startReceiver } from '../../helpers/index.js';

describe('isolation: busy and failing destinations are parked', () => {
  const { defer, engine } = useTestScope();
  const receiver = async (reply: () => Reply): Promise<Receiver> => {
    const r = await startReceiver(() => reply());
    defer(() => r.close());
    return r;
  };

  it('a destination at its cap: the overflow is parked, then delivered once each', async () => {
    // HOOKPOST_CONCURRENCY 64: at most 32 attempts in flight per destination.
    const t = await engine();
    const slow = await receiver(() => ({ status: 204, delayMs: 700 }));
    const fast = await receiver(() => ({ status: 204 }));
    const count = 40;
    for (let i = 0; i < count; i++) await t.createWebhook({ url: `${slow.url}/hook-${i}` });
    await t.createWebhook({ url: `${fast.url}/other`, event: 'deployment_request_finished' });

    const startedAt = Date.now();
    await t.publishSettled(requestEvent());
    // The event job did not wait for the overflow: it was done before any parked delivery was sent.
    expect(slow.requests).toHaveLength(32);
    expect(Date.now() - startedAt).toBeLessThan(2_500);
    expect(fast.requests).toHaveLength(1);
    expect(await metricValue(t, 'hookpost_deliveries_parked_total', { reason: 'destination_busy' })).toBe(count - 32);

    await slow.waitForRequests(count, 6_000);
    await eventually(
      async () => (await metricValue(t, 'hookpost_deliveries_total', { outcome: 'success' })) === count + 1,
      3_000,
      'every delivery to succeed',
    );
    expect(slow.requests).toHaveLength(count);
    expect(new Set(slow.requests.map((r) => r.path)).size).toBe(count);
    expect(new Set(slow.requests.map((r) => r.headers['hookpost-delivery-id'])).size).toBe(count);
    const attempts = t.logs.filter((l) => l.msg === 'delivery attempted');
    expect(attempts).toHaveLength(count + 1);
    // Parking is not a failed attempt.
    for (const l of attempts) expect(l.attempt).toBe(1);
    const parked = t.logs.filter((l) => l.msg === 'delivery parked');
    expect(parked).toHaveLength(count - 32);
    for (const l of parked) expect(l).toMatchObject({ reason: 'destination_busy', deliveryId: expect.any(String) });
  });

  it('five failures in a row open the circuit: the next delivery there is parked, not attempted', async () => {
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
    expect(await metricValue(t, 'hookpost_deliveries_parked_total', { reason: 'circuit_open' })).toBe(1);
    // Parked, not dead: it waits on the deliveries queue for the circuit's probe.
    expect(await t.services.deadLetters.list('demo')).toHaveLength(5);
    const [line] = t.logs.filter((l) => l.msg === 'delivery parked');
    expect(line).toMatchObject({ reason: 'circuit_open' });
    const job = await t.services.deliveries.getJob(String(line?.deliveryId));
    expect(await job?.getState()).toBe('delayed');
    expect(job?.data).toMatchObject({ kind: 'delivery', event: { request_id: 'while-open' } });
  });

  it('a circuit opening is counted in hookpost_circuit_transitions_total{state="open"}', async () => {
    const t = await engine();
    const down = await receiver(() => ({ status: 500 }));
    await t.createWebhook({ url: `${down.url}/down` });
    for (let i = 0; i < 5; i++) await t.publishSettled(requestEvent());
    expect(await metricValue(t, 'hookpost_circuit_transitions_total', { state: 'open' })).toBe(1);
  });
});
