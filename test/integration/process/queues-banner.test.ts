/**
 * What a process says about its events queues (a sharded producer on the wrong prefix is seen): local
 * mode's banner lists the queues it really consumes, and jobs waiting on the unsharded queue while
 * HOOKPOST_SHARDS=3 give a warning line at start.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { shardPrefix } from '../../../src/events/shards.js';
import { createRedis } from '../../../src/redis/index.js';
import { requestEvent } from '../../helpers/engine.js';
import { freePort, uniquePrefix } from '../../helpers/index.js';
import { type ChildWorker, spawnWorker } from '../../helpers/processes.js';

describe('the queues a process consumes', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('local mode: the banner lists the consumed shard queues, and jobs on the unsharded queue are a warning', async () => {
    const prefix = `{${uniquePrefix('banner')}}`;
    const connection = createRedis(inject('redisUrl'), 'queue');
    const unsharded = new Queue('events', { connection, prefix });
    await unsharded.add('request-event', requestEvent({ request_id: 'wrong-prefix' }), { jobId: 'wrong-prefix.completed' });
    await unsharded.close();
    await connection.quit();

    const local: ChildWorker = spawnWorker('local', {
      HOOKPOST_REDIS_URL: inject('redisUrl'),
      HOOKPOST_PREFIX: prefix,
      HOOKPOST_SHARDS: '3',
      HOOKPOST_SHARDS_CONSUMED: '0,2',
      HOOKPOST_API_PORT: String(await freePort()),
      HOOKPOST_DATA_DIR: mkdtempSync(join(tmpdir(), 'hookpost-local-')),
    });
    cleanups.push(() => {
      if (local.proc.exitCode === null) local.proc.kill('SIGKILL');
    });
    const warning = await local.waitForLog((l) => String(l.msg).startsWith('jobs wait on events queues that no worker consumes'), 30_000);
    expect(warning.queues).toEqual([
      { queue: `${prefix}:events`, role: 'unsharded', jobs: 1 },
    ]);
    for (let i = 0; i < 100 && !local.stdout().includes('hookpost is running'); i++) await new Promise((r) => setTimeout(r, 50));
    const [shard0, shard2] = [0, 2].map((i) => `${shardPrefix(prefix, i, 3)}:events`);
    expect(local.stdout()).toContain(`prefix ${prefix}, events queues ${shard0}, ${shard2} (shards 0, 2 of 3)`);
    expect(local.stdout()).not.toContain(`events queue ${prefix}:events`);
    local.proc.kill('SIGTERM');
    expect(await local.exited).toBe(0);
  });
});
