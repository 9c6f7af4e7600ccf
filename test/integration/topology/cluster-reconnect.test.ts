/**
 * A cluster connection opened while a slot range has no node (`cluster_state:fail`) is ready once the
 * range is served again, and its `connect()` says so (src/redis/connect.ts): ioredis retries by
 * itself after its ready check fails, but leaves the first `connect()` pending forever, and BullMQ
 * awaits that promise to bring a worker's blocking connection back.
 */
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis } from '../../../src/redis/index.js';
import { eventually } from '../../helpers/engine.js';
import { type TestCluster, startCluster } from '../../helpers/topology.js';
import { findTool } from '../../helpers/tools.js';

const tool = findTool('redis-cli', ['--version'], 'redis-tools');

describe.skipIf(tool.skip)('Redis Cluster connect() across an outage', { timeout: 120_000 }, () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    tool.require();
    cluster = await startCluster({ masters: 3, replicas: 0, nodeTimeoutMs: 1_000 });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('settles once the cluster is ok again', async () => {
    const client = createRedis(cluster.url, 'queue') as Cluster;
    client.on('error', () => {});
    let fresh: Cluster | undefined;
    try {
      await eventually(() => client.status === 'ready', 10_000, 'the first connection');
      const victim = await cluster.masterOf('{reconnect}:key');
      await victim.kill();
      await cluster.waitForState('fail');

      // A connection made now, as BullMQ makes a worker's blocking connection again after an error.
      fresh = client.duplicate([], { lazyConnect: true });
      fresh.on('error', () => {});
      let settled: 'resolved' | 'rejected' | undefined;
      void fresh.connect().then(
        () => {
          settled = 'resolved';
        },
        () => {
          settled = 'rejected';
        },
      );
      // Its ready check fails while the range has no node; it keeps trying.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(settled).toBeUndefined();
      await victim.restart();
      await cluster.waitForState('ok');
      await eventually(() => settled !== undefined, 30_000, 'connect() to settle');
      expect(settled).toBe('resolved');
      expect(await fresh.set('{reconnect}:key', 'back')).toBe('OK');
    } finally {
      fresh?.disconnect();
      client.disconnect();
    }
  });
});
