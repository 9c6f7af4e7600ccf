/**
 * Detached attempts are durable: a worker SIGKILLed while attempts wait on a slow receiver and on a
 * black hole loses nothing. Their placeholders on the deliveries queue fire in the next worker,
 * which sends them again under the same delivery ids (at-least-once), and the black hole's end as
 * dead letters.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createProducer } from '../../../src/events/index.js';
import { createKeys } from '../../../src/redis/index.js';
import { createRegistry } from '../../../src/registry/index.js';
import { startBlackHole } from '../../helpers/blackhole.js';
import { eventually, requestEvent } from '../../helpers/engine.js';
import { startReceiver, uniquePrefix } from '../../helpers/index.js';
import { spawnWorker, workerEnv, writeSigningKey } from '../../helpers/processes.js';
import { createDeadLetterStore } from '../../../src/dead-letters/index.js';

const key = writeSigningKey();

describe('detached attempts survive a crash', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('SIGKILL while attempts wait: every delivery is sent again by the next worker, same delivery ids', async () => {
    const redisUrl = inject('redisUrl');
    const prefix = uniquePrefix('crash');
    const slow = await startReceiver(() => ({ status: 204, delayMs: 1_500 }));
    const hole = await startBlackHole();
    cleanups.push(() => slow.close(), () => hole.close());
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    cleanups.push(() => redis.quit());
    const keys = createKeys(prefix);
    const registry = createRegistry({ redis, keys });
    const base = { object_type: 'deployment', version: 'v1', event: 'deployment_request_completed' } as const;
    await registry.create('demo', { ...base, name: 'slow', url: `${slow.url}/slow`, object_name: 'slow', timeout: 5 });
    await registry.create('demo', { ...base, name: 'hole', url: `${hole.url}/hole`, object_name: 'hole', timeout: 2, retry: true });
    const producer = createProducer({ redis, prefix });

    const env = () => workerEnv(redisUrl, prefix, key.path);
    const first = spawnWorker('worker', await env());
    cleanups.push(() => first.proc.exitCode === null && first.proc.kill('SIGKILL'));
    await first.waitForLog((l) => l.msg === 'engine started');

    for (let i = 0; i < 8; i++) await producer.publish(requestEvent({ request_id: `slow-${i}`, object_name: 'slow' }));
    for (let i = 0; i < 3; i++) await producer.publish(requestEvent({ request_id: `hole-${i}`, object_name: 'hole' }));
    // All of them are in flight, none answered yet (the slow receiver takes 1.5 s).
    await slow.waitForRequests(8, 5_000);
    await eventually(() => hole.requests() >= 3, 5_000, 'the black hole to hold three requests');
    expect(first.logs.filter((l) => l.msg === 'delivery attempted')).toHaveLength(0);
    const holeIdsBefore = hole.deliveryIds();
    first.proc.kill('SIGKILL');
    await first.exited;

    const second = spawnWorker('worker', await env());
    cleanups.push(() => second.proc.exitCode === null && second.proc.kill('SIGKILL'));
    await second.waitForLog((l) => l.msg === 'engine started');

    // Every slow delivery arrives again (the first copies were cut off by the kill), same ids.
    await eventually(() => slow.requests.length >= 16, 20_000, 'every slow delivery sent again');
    const byRequest = new Map<string, Set<string>>();
    for (const r of slow.requests) {
      const id = JSON.parse(r.body.toString()).request_id as string;
      const ids = byRequest.get(id) ?? new Set<string>();
      ids.add(String(r.headers['hookpost-delivery-id']));
      byRequest.set(id, ids);
    }
    expect([...byRequest.keys()].sort()).toEqual(Array.from({ length: 8 }, (_, i) => `slow-${i}`).sort());
    for (const ids of byRequest.values()) expect(ids.size).toBe(1);
    await eventually(
      () => second.logs.filter((l) => l.msg === 'delivery attempted' && l.outcome === 'delivered').length === 8,
      10_000,
      'eight successes in the second worker',
    );

    // The black hole's deliveries: sent again with the same ids, then dead letters (retry exhausted).
    const deadLetters = createDeadLetterStore({ redis, keys });
    const letters = await eventually(async () => {
      const list = await deadLetters.list('demo');
      return list.length === 3 && list;
    }, 20_000, 'three dead letters');
    expect(letters.map((l) => l.deliveryId).sort()).toEqual([...new Set(holeIdsBefore)].sort());
    for (const l of letters) expect(l.errorCode).toBe('TIMEOUT');
    expect(new Set(hole.deliveryIds())).toEqual(new Set(holeIdsBefore));
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 60_000);
});
