/**
 * The worker as a real process: SIGTERM drains in-flight deliveries and exits 0; SIGKILL loses no
 * delivery (stalled jobs are picked up again); a 25 s attempt is sent once (the job lock is renewed);
 * a Redis restart pauses work without crashing.
 */
import { describe, expect, inject, it } from 'vitest';
import { freePort, startReceiver, startRedisServer, uniquePrefix, type Receiver } from '../../helpers/index.js';
import { spawnWorker, workerEnv as workerEnvOf, writeSigningKey, useProcessScope } from '../../helpers/processes.js';
import { createProducer } from '../../../src/events/index.js';
import { createKeys } from '../../../src/redis/index.js';
import { createRegistry } from '../../../src/registry/index.js';
import { Redis } from 'ioredis';
import { requestEvent, eventually, waitForIdleQueues } from '../../helpers/engine.js';

const key = writeSigningKey();

const workerEnv = (redisUrl: string, prefix: string, extra: Record<string, string> = {}) =>
  workerEnvOf(redisUrl, prefix, key.path, extra);

async function setup(redisUrl: string, receiver: Receiver, webhook: Record<string, unknown> = {}) {
  const prefix = uniquePrefix('p');
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', () => {});
  const registry = createRegistry({ redis, keys: createKeys(prefix) });
  await registry.create('demo', {
    name: 'hook',
    url: `${receiver.url}/hook`,
    object_type: 'deployment',
    object_name: 'model',
    version: 'v1',
    event: 'deployment_request_completed',
    ...webhook,
  } as Parameters<typeof registry.create>[1]);
  const producer = createProducer({ redis, prefix });
  return { prefix, redis, producer };
}

const started = (l: Record<string, unknown>) => l.msg === 'engine started';
const ids = (r: Receiver) => r.requests.map((q) => JSON.parse(q.body.toString()).request_id as string);

describe('worker process', () => {
  const { defer, track } = useProcessScope();

  it('SIGTERM: stops taking jobs, finishes the in-flight delivery, exits 0', async () => {
    const receiver = await startReceiver(() => ({ status: 204, delayMs: 1_500 }));
    defer(() => receiver.close());
    const { prefix, redis, producer } = await setup(inject('redisUrl'), receiver);
    defer(() => redis.quit());
    const worker = track(spawnWorker('worker', await workerEnv(inject('redisUrl'), prefix)));
    await worker.waitForLog(started);
    await producer.publish(requestEvent({ request_id: 'drain-1' }));
    await receiver.waitForRequests(1);
    worker.proc.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    const attempt = worker.logs.find((l) => l.msg === 'delivery attempted');
    expect(attempt).toMatchObject({ outcome: 'delivered', status: 204 });
    // The event job completed: a new worker finds nothing to send again.
    const second = track(spawnWorker('worker', await workerEnv(inject('redisUrl'), prefix)));
    await second.waitForLog(started);
    await waitForIdleQueues(inject('redisUrl'), prefix);
    expect(receiver.requests).toHaveLength(1);
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('SIGKILL: no delivery is lost; one sent again is the same delivery (same delivery id)', async () => {
    const receiver = await startReceiver(() => ({ status: 204, delayMs: 20 }));
    defer(() => receiver.close());
    const { prefix, redis, producer } = await setup(inject('redisUrl'), receiver);
    defer(() => redis.quit());
    const concurrency = 16;
    const env = await workerEnv(inject('redisUrl'), prefix, { HOOKPOST_CONCURRENCY: String(concurrency) });
    const first = track(spawnWorker('worker', env));
    await first.waitForLog(started);
    const total = 300;
    await producer.publishMany(Array.from({ length: total }, (_, i) => requestEvent({ request_id: `kill-${i}` })));
    await receiver.waitForRequests(60, 60_000);
    first.proc.kill('SIGKILL');
    await first.exited;
    const second = track(spawnWorker('worker', { ...env, HOOKPOST_METRICS_PORT: String(await freePort()) }));
    await eventually(() => new Set(ids(receiver)).size === total, 60_000, 'every event delivered after the kill');
    await waitForIdleQueues(inject('redisUrl'), prefix);
    // What a kill guarantees: every event arrived at least once, and an event sent again (in flight at
    // the kill, or whose job lock lapsed on a loaded machine) is the same delivery: one delivery id per
    // event and one event per delivery id, so a receiver that drops repeated ids loses nothing.
    const deliveryIdsOf = new Map<string, Set<string>>();
    for (const q of receiver.requests) {
      const requestId = JSON.parse(q.body.toString()).request_id as string;
      const set = deliveryIdsOf.get(requestId) ?? new Set<string>();
      set.add(String(q.headers['hookpost-delivery-id']));
      deliveryIdsOf.set(requestId, set);
    }
    expect(deliveryIdsOf.size).toBe(total);
    for (const [requestId, deliveryIds] of deliveryIdsOf) expect(deliveryIds.size, requestId).toBe(1);
    expect(new Set(receiver.requests.map((q) => q.headers['hookpost-delivery-id'])).size).toBe(total);
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 180_000);

  it('an attempt answered after 25 s (timeout 30) is sent exactly once', async () => {
    const receiver = await startReceiver(() => ({ status: 200, delayMs: 25_000 }));
    defer(() => receiver.close());
    const { prefix, redis, producer } = await setup(inject('redisUrl'), receiver, { timeout: 30 });
    defer(() => redis.quit());
    const worker = track(spawnWorker('worker', await workerEnv(inject('redisUrl'), prefix)));
    await worker.waitForLog(started);
    await producer.publish(requestEvent({ request_id: 'slow-1' }));
    const line = await worker.waitForLog((l) => l.msg === 'delivery attempted', 90_000);
    expect(line).toMatchObject({ outcome: 'delivered', status: 200 });
    // With a 5 s lock, an unrenewed lock would have let a stalled check re-run the job during the
    // 25 s: that second request would have arrived by the time nothing is left to run.
    await waitForIdleQueues(inject('redisUrl'), prefix);
    expect(receiver.requests).toHaveLength(1);
    worker.proc.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  }, 180_000);

  it('a Redis restart pauses work without crashing; work resumes when Redis is back', async () => {
    const server = await startRedisServer({ persistent: true });
    defer(() => server.stop());
    const receiver = await startReceiver();
    defer(() => receiver.close());
    const { prefix, redis, producer } = await setup(server.url, receiver);
    defer(() => redis.disconnect());
    const worker = track(spawnWorker('worker', await workerEnv(server.url, prefix)));
    await worker.waitForLog(started);
    await producer.publishMany(Array.from({ length: 10 }, (_, i) => requestEvent({ request_id: `before-${i}` })));
    await receiver.waitForRequests(10);
    await server.kill();
    // The worker has seen Redis go (it says so) and keeps running.
    await worker.waitForLog((l) => l.msg === 'redis unavailable');
    expect(worker.proc.exitCode).toBeNull();
    await server.start();
    await producer.publishMany(Array.from({ length: 10 }, (_, i) => requestEvent({ request_id: `after-${i}` })));
    await eventually(() => new Set(ids(receiver)).size === 20, 60_000, 'events after the restart delivered');
    expect(worker.proc.exitCode).toBeNull();
    worker.proc.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  }, 180_000);
});
