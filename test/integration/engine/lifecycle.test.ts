/**
 * Durability across engine restarts (same prefix, same Redis): a pending retry survives a restart,
 * close() lets an in-flight attempt finish so the next engine does not send it again, and a
 * producer that pushes the same transition twice causes one delivery.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  eventually,
  metricValue,
  requestEvent,
  startTestEngine,
  type TestEngine,
  verifyRecorded,
} from '../../helpers/engine.js';
import { type Receiver, type Reply, startReceiver, uniquePrefix } from '../../helpers/index.js';

describe('engine restarts and duplicate events', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const engine = async (env: Record<string, string> = {}) => {
    const t = await startTestEngine(inject('redisUrl'), env);
    let closed = false;
    cleanups.push(async () => {
      if (!closed) await t.close();
    });
    return {
      t,
      close: async () => {
        closed = true;
        await t.close();
      },
    };
  };
  const receiver = async (replies: Reply[]): Promise<Receiver> => {
    const r = await startReceiver((_req, n) => replies[n] ?? replies[replies.length - 1] ?? {});
    cleanups.push(() => r.close());
    return r;
  };

  it('a retry pending when the engine stops is sent by the next engine, same delivery id, attempt 2', async () => {
    const env = { HOOKPOST_PREFIX: uniquePrefix('restart'), HOOKPOST_RETRY_SCHEDULE: '1s' };
    const first = await engine(env);
    const r = await receiver([{ status: 500 }, { status: 204 }]);
    await first.t.createWebhook({ url: `${r.url}/hook`, retry: true });
    await first.t.publishSettled(requestEvent());
    expect(r.requests).toHaveLength(1);
    await first.close();

    const second = await engine(env);
    await r.waitForRequests(2, 4_000);
    const t: TestEngine = second.t;
    await eventually(async () => (await metricValue(t, 'hookpost_deliveries_total', { outcome: 'success' })) === 1);
    expect(r.requests[1]?.headers['hookpost-delivery-id']).toBe(r.requests[0]?.headers['hookpost-delivery-id']);
    // Each engine of this harness has its own key: the retry was signed afresh by the second one.
    const retried = r.requests[1] as NonNullable<(typeof r.requests)[1]>;
    expect(await verifyRecorded(retried, t.publicKeyPem)).toMatchObject({ ok: true });
    expect(await verifyRecorded(retried, first.t.publicKeyPem)).toMatchObject({ ok: false, reason: 'keyid_mismatch' });
    expect(t.logs.filter((l) => l.msg === 'delivery attempted').map((l) => l.attempt)).toEqual([2]);
  });

  it('close() lets an in-flight attempt finish; the next engine does not send it again', async () => {
    const env = { HOOKPOST_PREFIX: uniquePrefix('drain') };
    const first = await engine(env);
    const r = await receiver([{ status: 204, delayMs: 800 }]);
    await first.t.createWebhook({ url: `${r.url}/hook` });
    await first.t.producer.publish(requestEvent());
    await r.waitForRequests(1);
    await first.close();
    // Closed after the attempt ended: its answer (800 ms after the request) is in the log.
    expect(first.t.logs.filter((l) => l.msg === 'delivery attempted')).toMatchObject([
      { outcome: 'delivered', status: 204 },
    ]);

    const second = await engine(env);
    await second.t.idle();
    expect(r.requests).toHaveLength(1);
    expect(second.t.logs.filter((l) => l.msg === 'delivery attempted')).toHaveLength(0);
  });

  it('the same transition pushed twice is delivered once', async () => {
    const { t } = await engine();
    const r = await receiver([{ status: 204 }]);
    await t.createWebhook({ url: `${r.url}/hook` });
    const event = requestEvent({ request_id: 'pushed-twice' });
    const a = await t.publishSettled(event);
    const b = await t.publishSettled(event);
    expect(b).toBe(a);
    await t.idle();
    expect(r.requests).toHaveLength(1);
  });
});
