/**
 * What a worker process knows about the events queues of its prefix besides the ones it consumes:
 *
 * - At start, on a Redis Cluster, where the shards landed: one line with each shard's queue, slot and
 *   master (`CLUSTER SHARDS`), and a warning when two shards share a master.
 * - The queues under the previous shard tags (src/events/shards.ts, `previousShardPrefixToDrain`) of
 *   the shards it consumes: while one holds jobs (pushed by a producer that still uses the previous
 *   rule), a worker drains it; once it is empty the worker stops.
 * - Jobs waiting on an events queue of the prefix that no worker consumes (the unsharded queue while
 *   HOOKPOST_SHARDS > 1, a shard no worker group consumes, a previous tag whose shard is consumed
 *   nowhere): the metric `hookpost_unconsumed_queue_jobs{queue}` and a warning line, at start and at
 *   every check. "No worker consumes it" is what BullMQ itself reports (`getWorkersCount()`, from
 *   `CLIENT LIST` of every node: workers name their blocking connection after their queue).
 *
 * Checks run at start and every HOOKPOST_QUEUE_CHECK_INTERVAL.
 */
import { Queue } from 'bullmq';
import { previousShardPrefixToDrain, shardPrefixes } from '../events/shards.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { type RedisClient, clusterSlotOwners, isCluster, keySlot, masterOf } from '../redis/index.js';

export interface EventsQueuesConfig {
  readonly prefix: string;
  readonly eventsQueue: string;
  readonly shards: number;
  readonly shardsConsumed: readonly number[];
  readonly queueCheckIntervalMs: number;
}

export interface EventsQueuesDeps {
  readonly config: EventsQueuesConfig;
  /** A queue connection (not closed here). */
  readonly connection: RedisClient;
  readonly metrics: Pick<Metrics, 'unconsumedQueueJobs'>;
  readonly log: Logger;
  /** Starts a worker on the events queue under `prefix` (a previous shard tag); closed when it is drained. */
  startDrain(prefix: string): { close(): Promise<void> };
}

export interface EventsQueues {
  /** Logs the shard map, runs the first check, then checks periodically. */
  start(): Promise<void>;
  /** Stops checking and closes the drain workers (they finish their active jobs). */
  close(): Promise<void>;
}

/** One events queue the check looks at, and why it exists. */
interface Watched {
  readonly prefix: string;
  readonly name: string;
  /** `unsharded`, `shard <i>` or `previous tag of shard <i>`. */
  readonly role: string;
  readonly queue: Queue;
}

/** Job states that still have to run. */
const PENDING = ['waiting', 'prioritized', 'delayed'] as const;

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

export function createEventsQueues(deps: EventsQueuesDeps): EventsQueues {
  const { config, connection, metrics, log } = deps;
  const { prefix, eventsQueue, shards, shardsConsumed } = config;
  const queueOf = (queuePrefix: string, role: string): Watched => {
    const queue = new Queue(eventsQueue, { connection, prefix: queuePrefix });
    queue.on('error', () => {});
    return { prefix: queuePrefix, name: `${queuePrefix}:${eventsQueue}`, role, queue };
  };
  const current = shardPrefixes(prefix, shards);
  const consumed = new Set(shardsConsumed);
  // Queues consumed elsewhere, if at all: reported when jobs wait there and no worker is connected.
  const others: Watched[] = [];
  // Previous tags of the shards consumed here: drained here.
  const toDrain: Watched[] = [];
  if (shards > 1) {
    others.push(queueOf(prefix, 'unsharded'));
    current.forEach((p, shard) => {
      if (!consumed.has(shard)) others.push(queueOf(p, `shard ${shard}`));
    });
    for (let shard = 0; shard < shards; shard++) {
      const previous = previousShardPrefixToDrain(prefix, shard, shards);
      if (previous === undefined) continue;
      (consumed.has(shard) ? toDrain : others).push(queueOf(previous, `previous tag of shard ${shard}`));
    }
  }
  const drains = new Map<string, { close(): Promise<void> }>();
  let timer: NodeJS.Timeout | undefined;
  let checking: Promise<void> | undefined;
  let closed = false;

  async function logShardMap(): Promise<void> {
    if (shards <= 1 || !isCluster(connection)) return;
    const owners = await clusterSlotOwners(connection);
    const map = current.map((p, shard) => ({ shard, queue: `${p}:${eventsQueue}`, slot: keySlot(`${p}:${eventsQueue}`), master: masterOf(owners, p) ?? 'none' }));
    log.info({ shards: map }, 'events shards on cluster masters');
    const byMaster = new Map<string, number[]>();
    for (const m of map) byMaster.set(m.master, [...(byMaster.get(m.master) ?? []), m.shard]);
    const shared = [...byMaster].filter(([, list]) => list.length > 1).map(([master, list]) => ({ master, shards: list }));
    if (shared.length > 0) {
      log.warn(
        { shared, masters: new Set(owners.map((o) => o.master)).size, shardCount: shards },
        'events shards share a cluster master: they do not spread the load (the cluster has fewer masters than shards, or its slots are not evenly split)',
      );
    }
  }

  async function drainPrevious(): Promise<void> {
    for (const w of toDrain) {
      const pending = sum(await w.queue.getJobCounts(...PENDING, 'active', 'waiting-children'));
      const drain = drains.get(w.prefix);
      if (pending > 0 && !drain && !closed) {
        drains.set(w.prefix, deps.startDrain(w.prefix));
        log.info({ queue: w.name, jobs: pending }, 'draining an events queue under a previous shard tag (pushed by a producer of the previous shard rule)');
      } else if (pending === 0 && drain) {
        drains.delete(w.prefix);
        await drain.close();
        log.info({ queue: w.name }, 'events queue under a previous shard tag drained');
      }
    }
  }

  async function reportUnconsumed(): Promise<void> {
    const unconsumed: Array<{ queue: string; role: string; jobs: number }> = [];
    for (const w of others) {
      const jobs = sum(await w.queue.getJobCounts(...PENDING));
      if (jobs > 0 && (await w.queue.getWorkersCount()) === 0) unconsumed.push({ queue: w.name, role: w.role, jobs });
    }
    metrics.unconsumedQueueJobs.reset();
    for (const u of unconsumed) metrics.unconsumedQueueJobs.set({ queue: u.queue }, u.jobs);
    if (unconsumed.length > 0) {
      log.warn(
        { queues: unconsumed, consumedShards: shardsConsumed, shards },
        'jobs wait on events queues that no worker consumes: move them to a consumed queue (README, "Jobs on a queue no worker consumes")',
      );
    }
  }

  async function check(): Promise<void> {
    try {
      await drainPrevious();
      await reportUnconsumed();
    } catch (err) {
      // Redis away: the connection watch says so; the next check tries again.
      log.debug({ err: err instanceof Error ? err.message : String(err) }, 'events queue check failed');
    }
  }

  const runCheck = () => {
    checking ??= check().finally(() => {
      checking = undefined;
    });
    return checking;
  };

  return {
    async start() {
      try {
        await logShardMap();
      } catch (err) {
        log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not read the cluster map of the events shards');
      }
      await runCheck();
      if (others.length + toDrain.length === 0 || closed) return;
      timer = setInterval(() => void runCheck(), config.queueCheckIntervalMs);
      timer.unref();
    },
    async close() {
      closed = true;
      clearInterval(timer);
      await checking;
      await Promise.all([...drains.values()].map((d) => d.close()));
      drains.clear();
      await Promise.all([...others, ...toDrain].map((w) => w.queue.close()));
    },
  };
}
