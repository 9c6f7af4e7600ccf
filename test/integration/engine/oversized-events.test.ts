/**
 * Events over the size cap (1 MiB of JSON) are refused before BullMQ parses them (src/queue/worker.ts):
 * failed once with their size, counted as invalid, and the worker never builds their parse tree.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { DEFAULT_MAX_EVENT_BYTES } from '../../../src/events/index.js';
import { metricValue, requestEvent, startTestEngine, type TestEngine } from '../../helpers/engine.js';
import { type Receiver, startReceiver } from '../../helpers/index.js';

const LIMIT = DEFAULT_MAX_EVENT_BYTES;
const tooLarge = (bytes: number) => `invalid event: event: is ${bytes} bytes of JSON, more than the limit of ${LIMIT}`;

/** An event whose JSON is exactly `bytes` long (ASCII padding in `result`). */
function eventOfBytes(bytes: number, requestId: string): Record<string, unknown> {
  const base = requestEvent({ request_id: requestId, result: '' });
  const padding = bytes - Buffer.byteLength(JSON.stringify(base));
  const event = requestEvent({ request_id: requestId, result: 'x'.repeat(padding) });
  expect(Buffer.byteLength(JSON.stringify(event))).toBe(bytes);
  return event;
}

describe('oversized events pushed raw onto the events queue', () => {
  let t: TestEngine;
  let receiver: Receiver;
  let raw: Queue;
  let redis: Redis;

  beforeEach(async () => {
    t = await startTestEngine(inject('redisUrl'));
    receiver = await startReceiver();
    raw = new Queue(t.services.config.eventsQueue, { connection: { url: inject('redisUrl') }, prefix: t.services.config.prefix });
    redis = new Redis(inject('redisUrl'));
    await t.createWebhook({ url: `${receiver.url}/hook` });
  });
  afterEach(async () => {
    await redis.quit();
    await raw.close();
    await t.close();
    await receiver.close();
  });

  const jobKey = (id: string) => `${t.services.config.prefix}:${t.services.config.eventsQueue}:${id}`;
  const failedOnce = async (id: string, reason: string) => {
    expect(await t.settled(id, 20_000), id).toBe('failed');
    // Read from the job hash: Queue.getJob would parse the data, which is what is avoided here.
    const [failedReason, attemptsMade] = await redis.hmget(jobKey(id), 'failedReason', 'atm');
    expect(failedReason, id).toBe(reason);
    expect(attemptsMade, id).toBe('1');
    const lines = t.logs.filter((l) => l.jobId === id);
    expect(lines, id).toEqual([expect.objectContaining({ msg: 'invalid event rejected', level: 40 })]);
  };

  it('a 10 MB event is failed once with its exact size and counted as invalid', async () => {
    const event = requestEvent({ request_id: 'ten-mb', result: 'x'.repeat(10 * 1024 * 1024) });
    await raw.add('anything', event, { jobId: 'ten-mb', attempts: 3, backoff: { type: 'fixed', delay: 10 } });
    await failedOnce('ten-mb', tooLarge(Buffer.byteLength(JSON.stringify(event))));
    expect(await metricValue(t, 'hookpost_events_consumed_total', { outcome: 'invalid' })).toBe(1);
    expect(receiver.requests).toHaveLength(0);
    expect(t.logText().length).toBeLessThan(50_000);
  });

  it('counts UTF-8 bytes, not characters, and is exact at the limit', async () => {
    // 600,000 characters, 1,200,000+ bytes.
    const accented = requestEvent({ request_id: 'accented', result: 'é'.repeat(600_000) });
    await raw.add('anything', accented, { jobId: 'accented' });
    await failedOnce('accented', tooLarge(Buffer.byteLength(JSON.stringify(accented))));

    await raw.add('anything', eventOfBytes(LIMIT + 1, 'one-over'), { jobId: 'one-over' });
    await failedOnce('one-over', tooLarge(LIMIT + 1));

    await raw.add('anything', eventOfBytes(LIMIT, 'at-limit'), { jobId: 'at-limit' });
    expect(await t.settled('at-limit', 20_000)).toBe('completed');
    expect(receiver.requests).toHaveLength(1);
    expect(await metricValue(t, 'hookpost_events_consumed_total', { outcome: 'invalid' })).toBe(2);
  });

  it('is judged by size before it is parsed: 2 MB that is not even JSON is refused for its size', async () => {
    // Paused, so the raw hash can be rewritten before the worker takes the jobs.
    await raw.pause();
    await raw.add('anything', requestEvent(), { jobId: 'huge-garbage' });
    await raw.add('anything', requestEvent(), { jobId: 'small-garbage' });
    const garbage = `{${'x'.repeat(2 * 1024 * 1024)}`;
    await redis.hset(jobKey('huge-garbage'), 'data', garbage);
    await redis.hset(jobKey('small-garbage'), 'data', '{not json');
    await raw.resume();
    await failedOnce('huge-garbage', tooLarge(garbage.length));
    await failedOnce('small-garbage', 'invalid event: data is not JSON');
    expect(await metricValue(t, 'hookpost_events_consumed_total', { outcome: 'invalid' })).toBe(2);
  });
});
