/** What the scrape-time queue gauges read: a queue's job counts and the age of its oldest waiting job. */
import type { Queue } from 'bullmq';
import type { QueueSnapshot } from '../observability/metrics.js';

/** Counts and oldest waiting age of a queue, for the scrape-time gauges. */
export async function snapshotQueue(queue: Queue, name: string): Promise<QueueSnapshot> {
  const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized');
  const [oldest] = await queue.getWaiting(0, 0);
  return {
    queue: name,
    counts,
    oldestWaitingAgeSeconds: oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1000) : 0,
  };
}

/** One snapshot of several queues under one name (the events queue's shards): counts added, oldest age the largest. */
export function mergeSnapshots(queue: string, snapshots: readonly QueueSnapshot[]): QueueSnapshot {
  const counts: Record<string, number> = {};
  for (const s of snapshots) for (const [state, n] of Object.entries(s.counts)) counts[state] = (counts[state] ?? 0) + n;
  return { queue, counts, oldestWaitingAgeSeconds: Math.max(0, ...snapshots.map((s) => s.oldestWaitingAgeSeconds)) };
}
