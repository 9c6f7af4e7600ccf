/**
 * The queues stay bounded and safe whatever producers send: hookpost's retention applies to event
 * jobs pushed by any BullMQ client with any options, a job whose data is not JSON is failed once
 * with that reason (it used to stall and come back forever), and deliveries jobs are validated.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { DELIVERIES_QUEUE } from '../../../src/queue/jobs.js';
import { eventually, metricValue, requestEvent, useTestScope } from '../../helpers/engine.js';
import { startReceiver } from '../../helpers/index.js';

describe('queue hygiene', () => {
  const { defer, engine } = useTestScope();
  const rawQueue = (name: string, prefix: string) => {
    const q = new Queue(name, { connection: { url: inject('redisUrl') }, prefix });
    defer(() => q.close());
    return q;
  };

  it('event jobs pushed without options (or asking to be kept forever) are trimmed to the retention', async () => {
    const t = await engine({ HOOKPOST_EVENTS_KEEP_COMPLETED: '1h,5', HOOKPOST_EVENTS_KEEP_FAILED: '1h,3' });
    const receiver = await startReceiver();
    defer(() => receiver.close());
    await t.createWebhook({ url: `${receiver.url}/hook` });
    const raw = rawQueue(t.services.config.eventsQueue, t.services.config.prefix);
    await raw.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'e', data: requestEvent({ request_id: `plain-${i}` }) })));
    await raw.addBulk(
      Array.from({ length: 5 }, (_, i) => ({
        name: 'e',
        data: requestEvent({ request_id: `keep-${i}` }),
        opts: { removeOnComplete: false, removeOnFail: false },
      })),
    );
    await raw.addBulk(Array.from({ length: 6 }, (_, i) => ({ name: 'e', data: { bad: i } })));
    await receiver.waitForRequests(25, 10_000);
    await eventually(
      async () => (await metricValue(t, 'hookpost_events_consumed_total', { outcome: 'invalid' })) === 6,
      5_000,
      'the invalid ones',
    );
    await t.idle();
    expect(await raw.getJobCounts('completed', 'failed')).toEqual({ completed: 5, failed: 3 });
  });

  it('a job whose data is not JSON is failed once with that reason, counted and logged once, and work goes on', async () => {
    const t = await engine();
    const receiver = await startReceiver();
    defer(() => receiver.close());
    await t.createWebhook({ url: `${receiver.url}/hook` });
    const { prefix, eventsQueue } = t.services.config;
    const raw = rawQueue(eventsQueue, prefix);
    // Any client can write the job hash: make one whose data field is not JSON.
    const job = await raw.add('raw', {}, { jobId: 'not-json', delay: 300 });
    const redis = new Redis(inject('redisUrl'));
    defer(() => redis.quit());
    await redis.hset(`${prefix}:${eventsQueue}:${job.id}`, 'data', '{this is not json');

    expect(await t.settled('not-json', 5_000)).toBe('failed');
    // (BullMQ's own getJob would throw on this data: read the hash.)
    expect(await redis.hget(`${prefix}:${eventsQueue}:not-json`, 'failedReason')).toBe('invalid event: data is not JSON');
    // It stays failed: no stall, no re-queue (nothing is left waiting, active or delayed).
    await t.idle();
    expect(await raw.getJobState('not-json')).toBe('failed');
    expect(t.logs.filter((l) => l.jobId === 'not-json')).toEqual([
      expect.objectContaining({ msg: 'invalid event rejected', error: 'data is not JSON' }),
    ]);
    expect(await metricValue(t, 'hookpost_events_consumed_total', { outcome: 'invalid' })).toBe(1);
    expect(t.logs.filter((l) => l.msg === 'worker error')).toEqual([]);

    await t.publishSettled(requestEvent({ request_id: 'after' }));
    expect(receiver.requests).toHaveLength(1);
  });

  it('a deliveries job with bad data is failed once with a reason; nothing of it reaches a metric label', async () => {
    const t = await engine();
    const raw = rawQueue(DELIVERIES_QUEUE, t.services.config.prefix);
    await raw.add('delivery', {
      kind: 'delivery',
      deliveryId: 'd-1',
      project: 'demo',
      webhookId: 'w-1',
      webhookEvent: 'evil{label="x"}',
      event: requestEvent(),
      priorFailures: 0,
    }, { jobId: 'bad-delivery' });
    await raw.add('delivery', { kind: 'delivery', deliveryId: 'd-2', project: 'demo', webhookId: 'w-1', webhookEvent: 'deployment_request_completed', event: { project: 1 }, priorFailures: 0 }, { jobId: 'bad-event' });
    await raw.add('x', { kind: 'surprise' }, { jobId: 'bad-kind' });
    for (const id of ['bad-delivery', 'bad-event', 'bad-kind']) {
      await eventually(async () => (await raw.getJobState(id)) === 'failed', 5_000, `${id} to fail`);
    }
    expect((await raw.getJob('bad-delivery'))?.failedReason).toMatch(/^invalid deliveries job: webhookEvent: /);
    expect((await raw.getJob('bad-event'))?.failedReason).toMatch(/^invalid deliveries job: event: project: expected string/);
    expect((await raw.getJob('bad-kind'))?.failedReason).toMatch(/^invalid deliveries job: kind: /);
    expect(await metricValue(t, 'hookpost_delivery_jobs_invalid_total')).toBe(3);
    const text = await t.services.metricsRegistry.metrics();
    expect(text).not.toContain('evil');
    for (const id of ['bad-delivery', 'bad-event', 'bad-kind']) expect((await raw.getJob(id))?.attemptsMade).toBe(1);
  });
});
