/**
 * The events queues a worker does not consume (src/queue/events-queues.ts), on a real Redis:
 * - the queues under the previous shard tags are drained while they hold jobs (events an old
 *   producer pushed are delivered), and the drain stops once they are empty;
 * - jobs waiting on an events queue of the prefix that no worker consumes (the unsharded queue while
 *   HOOKPOST_SHARDS=3, a shard outside every worker's HOOKPOST_SHARDS_CONSUMED) are reported: a
 *   warning at start and at every check, and `hookpost_unconsumed_queue_jobs{queue}`; running a
 *   worker that consumes the queue (the README's way to move them) clears the report.
 */
import { Queue } from 'bullmq';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { EVENT_JOB_NAME, eventJobId } from '../../../src/events/index.js';
import { previousShardPrefixToDrain, shardPrefix } from '../../../src/events/shards.js';
import { createRedis } from '../../../src/redis/index.js';
import { type TestEngine, eventually, requestEvent, startTestEngine, testEncryptionKey } from '../../helpers/engine.js';
import { type Receiver, startReceiver, uniquePrefix } from '../../helpers/index.js';

const SHARDS = 3;

/** Pushes `events` as raw jobs onto the events queue under `prefix`, as a producer in any language would. */
async function push(prefix: string, events: ReadonlyArray<Record<string, unknown>>): Promise<void> {
  const connection = createRedis(inject('redisUrl'), 'queue');
  const queue = new Queue('events', { connection, prefix });
  try {
    for (const event of events) await queue.add(EVENT_JOB_NAME, event, { jobId: eventJobId(event as Parameters<typeof eventJobId>[0]) });
  } finally {
    await queue.close();
    await connection.quit();
  }
}

const unconsumedSeries = async (t: TestEngine): Promise<string[]> =>
  (await t.services.metricsRegistry.metrics()).split('\n').filter((line) => line.startsWith('hookpost_unconsumed_queue_jobs{'));

const requestIds = (receiver: Receiver) => receiver.requests.map((r) => String(JSON.parse(r.body.toString()).request_id));

describe('events queues no worker of this process consumes', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('drains the queue under a previous shard tag while it holds jobs, then stops', async () => {
    // A prefix whose previous tags are not all current ones (almost any: {hookpost} leaves {hookpost-1}).
    let prefix = '';
    let drainShard = -1;
    while (drainShard < 0) {
      prefix = `{${uniquePrefix('drain')}}`;
      drainShard = [0, 1, 2].findIndex((i) => previousShardPrefixToDrain(prefix, i, SHARDS) !== undefined);
    }
    const previous = previousShardPrefixToDrain(prefix, drainShard, SHARDS) as string;
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const t = await startTestEngine(inject('redisUrl'), { HOOKPOST_PREFIX: prefix, HOOKPOST_SHARDS: String(SHARDS), HOOKPOST_QUEUE_CHECK_INTERVAL: '1s' });
    cleanups.push(() => t.close());
    await t.createWebhook({ url: `${receiver.url}/hook` });

    // An old producer's events, under the previous tag of a shard this worker consumes.
    const events = [0, 1, 2].map((i) => requestEvent({ request_id: `old-producer-${i}` }));
    await push(previous, events);
    await eventually(() => events.every((e) => requestIds(receiver).includes(String(e.request_id))), 20_000, 'the old producer’s events');
    const started = t.logs.find((l) => String(l.msg).startsWith('draining an events queue under a previous shard tag'));
    expect(started).toMatchObject({ queue: `${previous}:events` });
    await eventually(() => t.logs.some((l) => l.msg === 'events queue under a previous shard tag drained'), 20_000, 'the drain to stop');
    // Not reported as unconsumed: this process drains it.
    expect(t.logs.filter((l) => String(l.msg).startsWith('jobs wait on events queues'))).toEqual([]);
    // And it starts again when an old producer pushes more.
    await push(previous, [requestEvent({ request_id: 'old-producer-late' })]);
    await eventually(() => requestIds(receiver).includes('old-producer-late'), 20_000, 'the late event');
    expect(receiver.requests).toHaveLength(4);
  });

  it('reports jobs on the unsharded queue and on a shard no worker consumes, at start and periodically; a worker consuming them clears it', async () => {
    const prefix = `{${uniquePrefix('unconsumed')}}`;
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const encryptionKeys = [testEncryptionKey()];
    // Pushed with the wrong layout before any worker runs: the unsharded queue of a sharded prefix.
    await push(prefix, [requestEvent({ request_id: 'unsharded-0' }), requestEvent({ request_id: 'unsharded-1' })]);
    const t = await startTestEngine(
      inject('redisUrl'),
      { HOOKPOST_PREFIX: prefix, HOOKPOST_SHARDS: String(SHARDS), HOOKPOST_SHARDS_CONSUMED: '0,1', HOOKPOST_QUEUE_CHECK_INTERVAL: '1s' },
      { encryptionKeys },
    );
    cleanups.push(() => t.close());
    await t.createWebhook({ url: `${receiver.url}/hook` });

    // At start: the warning names the queue, why it exists and how many jobs wait.
    const atStart = t.logs.find((l) => String(l.msg).startsWith('jobs wait on events queues that no worker consumes'));
    expect(atStart).toMatchObject({ level: 40, queues: [{ queue: `${prefix}:events`, role: 'unsharded', jobs: 2 }] });
    expect(await unconsumedSeries(t)).toEqual([`hookpost_unconsumed_queue_jobs{queue="${prefix}:events"} 2`]);
    // The start line lists the queues really consumed.
    expect(t.logs.find((l) => l.msg === 'engine started')?.queues).toEqual([
      `${shardPrefix(prefix, 0, SHARDS)}:events`,
      `${shardPrefix(prefix, 1, SHARDS)}:events`,
      `${prefix}:deliveries`,
    ]);

    // Later: an event on shard 2, which no worker consumes, is seen by the next check.
    const shard2 = shardPrefix(prefix, 2, SHARDS);
    await push(shard2, [requestEvent({ request_id: 'shard-2' })]);
    await eventually(
      () =>
        t.logs.some(
          (l) =>
            String(l.msg).startsWith('jobs wait on events queues') &&
            JSON.stringify(l.queues) === JSON.stringify([{ queue: `${prefix}:events`, role: 'unsharded', jobs: 2 }, { queue: `${shard2}:events`, role: 'shard 2', jobs: 1 }]),
        ),
      15_000,
      'a warning naming shard 2',
    );
    expect(receiver.requests).toHaveLength(0);

    // Moving them: a worker with HOOKPOST_SHARDS=1 consumes the unsharded queue, one with
    // HOOKPOST_SHARDS_CONSUMED=2 the third shard. They deliver; the report clears.
    const unsharded = await startTestEngine(inject('redisUrl'), { HOOKPOST_PREFIX: prefix, HOOKPOST_SHARDS: '1' }, { encryptionKeys });
    cleanups.push(() => unsharded.close());
    const third = await startTestEngine(inject('redisUrl'), { HOOKPOST_PREFIX: prefix, HOOKPOST_SHARDS: String(SHARDS), HOOKPOST_SHARDS_CONSUMED: '2' }, { encryptionKeys });
    cleanups.push(() => third.close());
    await eventually(() => ['unsharded-0', 'unsharded-1', 'shard-2'].every((id) => requestIds(receiver).includes(id)), 20_000, 'the moved events');
    await eventually(async () => (await unconsumedSeries(t)).length === 0, 15_000, 'the metric to clear');
  });
});
