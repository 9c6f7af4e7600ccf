/** The engine on a real 3-master Redis Cluster with one replica per master (test/helpers/topology.ts). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardPrefixes } from '../../../src/events/shards.js';
import { createProducer } from '../../../src/events/index.js';
import { type DestinationGate, createDestinationGate, createSharedHealth, type SharedHealth } from '../../../src/delivery/index.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createKeys, createRedis, keySlot } from '../../../src/redis/index.js';
import { eventually } from '../../helpers/engine.js';
import { uniquePrefix } from '../../helpers/redis.js';
import { startTestEngine } from '../../helpers/engine.js';
import { type TestCluster, startCluster } from '../../helpers/topology.js';
import { findTool } from '../../helpers/tools.js';
import { deliverSigned, runFailover, startScenario } from './scenarios.js';

// redis-cli (Debian redis-tools, installed with redis-server) creates the cluster.
const tool = findTool('redis-cli', ['--version'], 'redis-tools');
/** Every node requires it: the URL carries it, and no log line may show it. */
const PASSWORD = 'cluster-s3cret-pw';

describe.skipIf(tool.skip)('Redis Cluster', { timeout: 240_000 }, () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    tool.require();
    cluster = await startCluster({ masters: 3, replicas: 1, nodeTimeoutMs: 2_000, password: PASSWORD });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('refuses a prefix without a hash tag, naming HOOKPOST_PREFIX (and the producer option)', async () => {
    await expect(startTestEngine(cluster.url, { HOOKPOST_PREFIX: 'no-tag' })).rejects.toThrow(/HOOKPOST_PREFIX: on Redis Cluster the prefix needs a hash tag/);
    const client = createRedis(cluster.url, 'producer');
    try {
      expect(() => createProducer({ redis: client, prefix: 'no-tag' })).toThrow(/prefix: on Redis Cluster the prefix needs a hash tag/);
    } finally {
      client.disconnect();
    }
  });

  it('delivers signed events from 3 shards, each shard on its own master, and logs where they are', async () => {
    // The README's prefix: under the previous tags ({hookpost-0}, -1, -2: slots 12115, 16242, 3857) two shards shared a master.
    const s = await startScenario(cluster.url, 3, { HOOKPOST_PREFIX: '{hookpost}' });
    try {
      await deliverSigned(s, 24);
      const admin = createRedis(cluster.url, 'commands');
      try {
        const prefixes = shardPrefixes(s.t.services.config.prefix, 3);
        const slots = await Promise.all(prefixes.map((p) => admin.cluster('KEYSLOT', `${p}:events:id`)));
        // The slot hookpost computes is the one Redis computes.
        expect(slots).toEqual(prefixes.map((p) => keySlot(`${p}:events:id`)));
        const masters = await Promise.all(prefixes.map(async (p) => (await cluster.masterOf(`${p}:events:id`)).port));
        expect(new Set(masters).size).toBe(3);
        const map = s.t.logs.find((l) => l.msg === 'events shards on cluster masters');
        expect(map?.shards).toEqual(
          prefixes.map((p, shard) => ({ shard, queue: `${p}:events`, slot: keySlot(p), master: `127.0.0.1:${masters[shard]}` })),
        );
        expect(s.t.logs.filter((l) => String(l.msg).startsWith('events shards share a cluster master'))).toEqual([]);
        // Every shard got events (the six objects spread over the three), and the registry stays under the main prefix.
        for (const q of s.t.eventsQueues) expect(await q.getCompletedCount()).toBeGreaterThan(0);
        expect(await admin.exists(s.t.services.keys.registryVersion())).toBe(1);
      } finally {
        admin.disconnect();
      }
    } finally {
      await s.close();
    }
  });

  it('warns when two shards share a master (4 shards on 3 masters)', async () => {
    const t = await startTestEngine(cluster.url, { HOOKPOST_PREFIX: `{${uniquePrefix('four')}}`, HOOKPOST_SHARDS: '4' });
    try {
      const warning = t.logs.find((l) => String(l.msg).startsWith('events shards share a cluster master'));
      expect(warning).toMatchObject({ level: 40, masters: 3, shardCount: 4 });
      expect(((warning?.shared ?? []) as Array<{ shards: number[] }>).flatMap((x) => x.shards)).toHaveLength(2);
    } finally {
      await t.close();
    }
  });

  it('shares an open circuit between two processes through the cluster (script and pub/sub)', async () => {
    const keys = createKeys(`{${uniquePrefix('health')}}`);
    const replicas: Array<{ gate: DestinationGate; health: SharedHealth; close(): Promise<void> }> = [];
    try {
      for (let i = 0; i < 2; i++) {
        const redis = createRedis(cluster.url, 'commands');
        const subscriber = createRedis(cluster.url, 'subscriber');
        if (subscriber.status !== 'ready') await new Promise((resolve) => subscriber.once('ready', resolve));
        let health: SharedHealth | undefined;
        const gate = createDestinationGate({ failureThreshold: 1, openMs: 5_000, onTransition: (o, st, r) => health?.onTransition(o, st, r) });
        health = createSharedHealth({ redis, subscriber, keys, gate, logger: createLogger({ level: 'silent' }) });
        await health.start();
        const h = health;
        replicas.push({
          gate,
          health: h,
          async close() {
            await h.close();
            subscriber.disconnect();
            redis.disconnect();
          },
        });
      }
      const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
      expect(a.gate.tryAcquire('https://dead.example')).toBe('ok');
      a.gate.release('https://dead.example', { responded: true, success: false, durationMs: 1 });
      await eventually(() => b.gate.state('https://dead.example') === 'open', 30_000, 'the other gate to open');
    } finally {
      for (const r of replicas) await r.close();
    }
  });

  it('loses no acknowledged event when the master holding the registry fails over to its replica', async () => {
    const s = await startScenario(cluster.url, 3);
    try {
      await cluster.waitForReplication();
      const registryKey = s.t.services.keys.registryVersion();
      const victim = await cluster.masterOf(registryKey);
      const run = await runFailover(s, {
        total: 120,
        ratePerS: 40,
        killAfter: 40,
        kill: () => victim.kill(),
        settleMs: 90_000,
      });
      const promoted = await cluster.waitForFailover(registryKey);
      expect(promoted.port).not.toBe(victim.port);
      expect(run.acknowledged).toHaveLength(120);
      expect(run.lost).toEqual([]);
      expect(s.t.logText()).not.toContain(PASSWORD);
      console.info(`cluster failover: longest publish ${run.longestPublishMs} ms, ${run.duplicated} duplicate deliveries`);
    } finally {
      await s.close();
    }
  });
});
