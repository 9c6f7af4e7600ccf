import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startReceiver, startRedisServer, uniquePrefix } from '../../helpers/index.js';

describe('test harness', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('provides a real Redis to every test', async () => {
    const redis = new Redis(inject('redisUrl'));
    cleanups.push(() => redis.quit());
    const key = `${uniquePrefix()}:k`;
    await redis.set(key, 'v');
    expect(await redis.get(key)).toBe('v');
  });

  it('gives each test its own prefix', () => {
    expect(uniquePrefix()).not.toBe(uniquePrefix());
  });

  it('starts, kills and restarts a private redis-server, keeping data when persistent', async () => {
    const server = await startRedisServer({ persistent: true });
    cleanups.push(() => server.stop());
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    cleanups.push(async () => redis.disconnect());
    await redis.set('survives', 'yes');
    await server.kill();
    expect(server.running).toBe(false);
    await expect(redis.get('survives')).rejects.toThrow();
    await server.start();
    expect(await redis.get('survives')).toBe('yes');
  });

  it('runs receivers that record requests and answer as scripted', async () => {
    const receiver = await startReceiver((_req, n) => (n === 0 ? { status: 500, body: 'no' } : { status: 201 }));
    cleanups.push(() => receiver.close());
    const first = await fetch(`${receiver.url}/a?b=1`, { method: 'POST', body: 'hello' });
    const second = await fetch(`${receiver.url}/c`, { method: 'POST', body: 'again' });
    expect([first.status, second.status]).toEqual([500, 201]);
    const [r0] = await receiver.waitForRequests(2);
    expect(r0?.path).toBe('/a?b=1');
    expect(r0?.body.toString()).toBe('hello');
    receiver.setResponder(() => ({ destroy: true }));
    await expect(fetch(receiver.url, { method: 'POST', body: 'x' })).rejects.toThrow();
  });
});
