import type { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedis, isCluster } from '../../../src/redis/index.js';

// Nothing listens on port 1: these clients never reach a Redis (the unit project has none).
describe('createRedis', () => {
  it('a cluster URL gives a Cluster with the credentials, TLS and purpose options on every node', () => {
    const client = createRedis('rediss+cluster://app:p%40ss@127.0.0.1:1,127.0.0.1:2', 'probe') as Cluster;
    expect(isCluster(client)).toBe(true);
    expect(client.options.redisOptions).toMatchObject({ username: 'app', password: 'p@ss', tls: {}, maxRetriesPerRequest: 0 });
    expect(client.options.scaleReads).toBe('master');
    client.disconnect();
  });

  it('queue connections wait for Redis however long (maxRetriesPerRequest: null), as BullMQ requires', () => {
    const client = createRedis('redis+cluster://127.0.0.1:1', 'queue') as Cluster;
    client.on('error', () => {});
    expect(client.options.redisOptions?.maxRetriesPerRequest).toBeNull();
    client.disconnect();
    const single = createRedis('redis://127.0.0.1:1', 'queue') as Redis;
    single.on('error', () => {});
    expect(single.options.maxRetriesPerRequest).toBeNull();
    single.disconnect();
  });

  it('a sentinel URL gives a client that asks the sentinels, with both passwords', () => {
    const client = createRedis('rediss+sentinel://:data@127.0.0.1:1,127.0.0.1:2/mymaster?sentinelPassword=sent&db=2', 'probe') as Redis;
    expect(isCluster(client)).toBe(false);
    expect(client.options).toMatchObject({
      name: 'mymaster',
      sentinels: [{ host: '127.0.0.1', port: 1 }, { host: '127.0.0.1', port: 2 }],
      password: 'data',
      sentinelPassword: 'sent',
      db: 2,
      enableTLSForSentinelMode: true,
    });
    client.disconnect();
  });

  it('a cluster that is reconnecting (no node reachable) still ends on disconnect, and so do its duplicates', async () => {
    const client = createRedis('redis+cluster://127.0.0.1:1', 'queue') as Cluster;
    const duplicate = client.duplicate();
    for (const c of [client, duplicate]) c.on('error', () => {});
    await new Promise((r) => setTimeout(r, 300));
    for (const c of [client, duplicate]) {
      expect(c.status).toBe('reconnecting');
      const ended = new Promise((resolve) => c.once('end', () => resolve('end')));
      c.disconnect();
      await expect(Promise.race([ended, new Promise((r) => setTimeout(() => r('no end'), 1_000))])).resolves.toBe('end');
    }
  });
});
