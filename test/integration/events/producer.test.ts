import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { hasCode } from '../../../src/errors.js';
import { createProducer, EVENT_JOB_NAME, type Producer } from '../../../src/events/index.js';
import { uniquePrefix } from '../../helpers/index.js';

const event = (over: Record<string, unknown> = {}) => ({
  project: 'demo',
  object_type: 'deployment',
  object_name: 'model-a',
  version: 'v1',
  request_id: 'req-1',
  status: 'completed',
  result: { ok: true },
  producer_field: 'stripped',
  ...over,
});

describe('producer (real Redis)', () => {
  const redisUrl = inject('redisUrl');
  let redis: Redis;
  let prefix: string;
  let producer: Producer;
  let queue: Queue;

  beforeAll(() => {
    redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    prefix = uniquePrefix('producer');
    producer = createProducer({ redis, prefix });
    queue = new Queue('events', { connection: redis, prefix });
  });

  afterAll(async () => {
    await producer.close();
    await queue.close();
    await redis.quit();
  });

  it('publishes a validated event under job id <request_id>.<status>', async () => {
    const { jobId } = await producer.publish(event());
    expect(jobId).toBe('req-1.completed');
    const job = await queue.getJob(jobId);
    expect(job?.name).toBe(EVENT_JOB_NAME);
    expect(job?.data).toMatchObject({ request_id: 'req-1', status: 'completed', is_default_version: false, result: { ok: true } });
    expect(job?.data).not.toHaveProperty('producer_field');
    expect(Number.isNaN(Date.parse(job?.data.occurred_at))).toBe(false);
    expect(job?.opts.attempts ?? 0).toBeLessThanOrEqual(1);
    expect(job?.opts.removeOnComplete).toEqual({ age: 3_600, count: 10_000 });
  });

  it('does not create a second job when the same transition is published again', async () => {
    const before = await queue.getJobCountByTypes('waiting');
    await producer.publish(event({ request_id: 'dup' }));
    await producer.publish(event({ request_id: 'dup', result: 'different' }));
    expect(await queue.getJobCountByTypes('waiting')).toBe(before + 1);
    const job = await queue.getJob('dup.completed');
    expect(job?.data.result).toEqual({ ok: true });
    // Another status of the same request is another event.
    await producer.publish(event({ request_id: 'dup', status: 'failed' }));
    expect(await queue.getJobCountByTypes('waiting')).toBe(before + 2);
  });

  it('says whether the job id already existed (duplicate), also across producers and in a quick loop', async () => {
    expect(await producer.publish(event({ request_id: 'once' }))).toEqual({ jobId: 'once.completed', duplicate: false });
    expect(await producer.publish(event({ request_id: 'once' }))).toEqual({ jobId: 'once.completed', duplicate: true });
    const other = createProducer({ redis, prefix });
    expect((await other.publish(event({ request_id: 'once' }))).duplicate).toBe(true);
    await other.close();
    // Same millisecond, same data: still told apart.
    const fixed = event({ request_id: 'fast', occurred_at: '2026-01-01T00:00:00.000Z' });
    const results = await Promise.all([producer.publish(fixed), producer.publish(fixed), producer.publish(fixed)]);
    expect(results.map((r) => r.duplicate).sort()).toEqual([false, true, true]);
  });

  it('publishMany reports duplicates per event and counts them', async () => {
    await producer.publish(event({ request_id: 'seen' }));
    const result = await producer.publishMany([
      event({ request_id: 'new-1' }),
      event({ request_id: 'seen' }),
      event({ request_id: 'new-2' }),
      event({ request_id: 'new-1' }),
    ]);
    expect(result).toEqual({
      jobIds: ['new-1.completed', 'seen.completed', 'new-2.completed', 'new-1.completed'],
      duplicate: [false, true, false, true],
      duplicates: 2,
    });
  });

  it('throws EVENT_INVALID naming the field and enqueues nothing', async () => {
    const before = await queue.getJobCountByTypes('waiting');
    const failure = await producer.publish(event({ request_id: 'bad', status: 'done' })).catch((err: unknown) => err);
    expect(hasCode(failure, 'HOOKPOST_ERR_EVENT_INVALID')).toBe(true);
    expect((failure as Error).message).toContain('status: expected one of processing, completed, failed, got "done"');
    expect(await queue.getJob('bad.done')).toBeUndefined();
    expect(await queue.getJobCountByTypes('waiting')).toBe(before);
  });

  it('publishMany adds in bulk and validates everything first', async () => {
    const many = Array.from({ length: 1_500 }, (_, i) => event({ request_id: `bulk-${i}`, status: 'processing' }));
    const { jobIds } = await producer.publishMany(many);
    expect(jobIds).toHaveLength(1_500);
    expect(jobIds[1_499]).toBe('bulk-1499.processing');
    expect(await queue.getJob('bulk-1499.processing')).toBeDefined();

    const before = await queue.getJobCountByTypes('waiting');
    const withBad = [event({ request_id: 'ok-1' }), event({ request_id: 'x:y' })];
    await expect(producer.publishMany(withBad)).rejects.toThrow(/event #1: request_id/);
    expect(await queue.getJobCountByTypes('waiting')).toBe(before);
  });

  it('leaves a client it was given open, and closes one it made from a URL', async () => {
    const own = createProducer({ redis: redisUrl, prefix: uniquePrefix('own') });
    await own.publish(event());
    await own.close();
    const shared = createProducer({ redis, prefix: uniquePrefix('shared') });
    await shared.publish(event());
    await shared.close();
    expect(await redis.ping()).toBe('PONG');
  });
});
