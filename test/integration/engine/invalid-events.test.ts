/**
 * Invalid events: whatever a producer pushes with any BullMQ client, a bad event is failed
 * at once with an error naming the field, never retried, counted and logged once, and the worker
 * keeps going.
 */
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { metricValue, requestEvent, startTestEngine, type TestEngine } from '../../helpers/engine.js';
import { type Receiver, startReceiver } from '../../helpers/index.js';

describe('invalid events pushed straight onto the events queue', () => {
  let t: TestEngine;
  let receiver: Receiver;
  let raw: Queue;

  beforeEach(async () => {
    t = await startTestEngine(inject('redisUrl'));
    receiver = await startReceiver();
    // A producer that is not hookpost's: a plain BullMQ queue, no validation.
    raw = new Queue(t.services.config.eventsQueue, {
      connection: { url: inject('redisUrl') },
      prefix: t.services.config.prefix,
    });
    await t.createWebhook({ url: `${receiver.url}/hook` });
  });
  afterEach(async () => {
    await raw.close();
    await t.close();
    await receiver.close();
  });

  const { request_id: _omitted, ...withoutRequestId } = requestEvent();
  const cases: Array<{ what: string; data: unknown; reason: RegExp }> = [
    { what: 'a number for project', data: requestEvent({ project: 42 }), reason: /project: expected string, got 42/ },
    {
      what: 'a string for is_default_version',
      data: requestEvent({ is_default_version: 'yes' }),
      reason: /is_default_version: expected boolean/,
    },
    { what: 'an unknown status', data: requestEvent({ status: 'done' }), reason: /status: expected one of processing, completed, failed, got "done"/ },
    { what: 'an unknown object_type', data: requestEvent({ object_type: 'model' }), reason: /object_type: expected one of deployment, pipeline/ },
    { what: 'a missing request_id', data: withoutRequestId, reason: /request_id: is required/ },
    { what: 'a request_id with a colon', data: requestEvent({ request_id: 'a:b' }), reason: /request_id: must be made of letters/ },
    { what: 'an object_id that is no UUID', data: requestEvent({ object_id: 'abc' }), reason: /object_id: must be a UUID/ },
    {
      what: 'an oversized event (> 1 MiB)',
      data: requestEvent({ result: 'x'.repeat(1_100_000) }),
      reason: /event: is \d+ bytes of JSON, more than the limit of 1048576/,
    },
    { what: 'a string instead of an object', data: 'completed', reason: /event: expected object/ },
    { what: 'an array', data: [1, 2, 3], reason: /event: expected object, got an array/ },
  ];

  it('each is failed at once, never retried, names the field, is counted and logged once', async () => {
    const ids: string[] = [];
    for (const [i, c] of cases.entries()) {
      const job = await raw.add('anything', c.data, { jobId: `bad-${i}`, attempts: 3, backoff: { type: 'fixed', delay: 10 } });
      ids.push(job.id as string);
    }
    for (const [i, c] of cases.entries()) {
      const id = ids[i] as string;
      expect(await t.settled(id), c.what).toBe('failed');
      const job = await raw.getJob(id);
      expect(job?.failedReason, c.what).toMatch(/^invalid event: /);
      expect(job?.failedReason, c.what).toMatch(c.reason);
      expect(job?.attemptsMade, c.what).toBe(1);
    }
    expect(await raw.getJobCounts('failed', 'waiting', 'delayed', 'active')).toEqual({
      failed: cases.length,
      waiting: 0,
      delayed: 0,
      active: 0,
    });
    expect(await metricValue(t, 'hookpost_events_consumed_total', { outcome: 'invalid' })).toBe(cases.length);
    for (const id of ids) {
      const lines = t.logs.filter((l) => l.jobId === id);
      expect(lines, id).toHaveLength(1);
      expect(lines[0]).toMatchObject({ msg: 'invalid event rejected', level: 40 });
      expect(String(lines[0]?.error)).not.toHaveLength(0);
    }
    // The oversized event is not copied into the logs.
    expect(t.logText().length).toBeLessThan(50_000);
    expect(receiver.requests).toHaveLength(0);

    // The worker keeps going: a valid event afterwards is delivered.
    await t.publishSettled(requestEvent({ request_id: 'after-the-bad-ones' }));
    expect(receiver.requests).toHaveLength(1);
    expect(JSON.parse(receiver.requests[0]?.body.toString() ?? '{}').request_id).toBe('after-the-bad-ones');
    expect(await metricValue(t, 'hookpost_events_consumed_total', { outcome: 'matched' })).toBe(1);
  });

  it('a valid event from another client: any job name and id, unknown fields ignored', async () => {
    await raw.add('whatever-name', { ...requestEvent({ request_id: 'foreign' }), extra_field: { nested: true } }, { jobId: 'x-1' });
    expect(await t.settled('x-1')).toBe('completed');
    expect(receiver.requests).toHaveLength(1);
    const body = JSON.parse(receiver.requests[0]?.body.toString() ?? '{}');
    expect(body.request_id).toBe('foreign');
    expect(body).not.toHaveProperty('extra_field');
  });
});
