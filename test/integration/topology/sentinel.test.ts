/** The engine on a real Sentinel set: a master, a replica and three sentinels (test/helpers/topology.ts). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestSentinel, startSentinel } from '../../helpers/topology.js';
import { findTool } from '../../helpers/tools.js';
import { deliverSigned, runFailover, startScenario } from './scenarios.js';

// Skipped without redis-sentinel outside CI; with CI=true they fail instead (.ci/run installs it).
const tool = findTool('redis-sentinel', ['--version'], 'redis-sentinel');
/** The data nodes' and the sentinels' own passwords: the URL carries both, no log line may show them. */
const PASSWORD = 'data-s3cret-pw';
const SENTINEL_PASSWORD = 'sentinel-s3cret-pw';

describe.skipIf(tool.skip)('Redis Sentinel', { timeout: 240_000 }, () => {
  let sentinel: TestSentinel;
  beforeAll(async () => {
    tool.require();
    sentinel = await startSentinel({ downAfterMs: 1_000, failoverTimeoutMs: 3_000, password: PASSWORD, sentinelPassword: SENTINEL_PASSWORD });
  }, 120_000);
  afterAll(async () => {
    await sentinel?.stop();
  });

  it('delivers signed events through the master the sentinels name (2 shards)', async () => {
    const s = await startScenario(sentinel.url, 2);
    try {
      await deliverSigned(s, 12);
    } finally {
      await s.close();
    }
  });

  it('loses no acknowledged event when the master dies and the sentinels promote the replica', async () => {
    const s = await startScenario(sentinel.url, 1);
    try {
      await sentinel.waitForReplication();
      const victim = await sentinel.master();
      const run = await runFailover(s, {
        total: 120,
        ratePerS: 40,
        killAfter: 40,
        kill: () => victim.kill(),
        settleMs: 90_000,
      });
      const promoted = await sentinel.waitForFailover(victim);
      expect(promoted.port).not.toBe(victim.port);
      expect(run.acknowledged).toHaveLength(120);
      expect(run.lost).toEqual([]);
      expect(s.t.logText()).not.toContain(PASSWORD);
      expect(s.t.logText()).not.toContain(SENTINEL_PASSWORD);
      console.info(`sentinel failover: longest publish ${run.longestPublishMs} ms, ${run.duplicated} duplicate deliveries`);
    } finally {
      await s.close();
    }
  });
});
