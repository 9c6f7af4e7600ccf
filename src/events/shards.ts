/**
 * Sharded events queues (HOOKPOST_SHARDS). With N = 1 (the default) there is one events queue,
 * `<prefix>:<queue>`, as always. With N > 1 there are N, each under its own prefix so that each
 * lands in its own Redis Cluster slot: shard i's prefix is the main prefix with `-<i>` added inside
 * its hash tag (`{hookpost}` → `{hookpost-0}` … `{hookpost-<N-1>}`; a prefix without a tag just gets
 * `-<i>` appended: `hookpost` → `hookpost-0`). BullMQ names a queue's keys `<prefix>:<queue>:…`, so
 * the tag has to be in the prefix: shard 1's keys are `{hookpost-1}:events:wait`, `…:id`, ….
 *
 * An event's shard is a stable hash of the object it is about, so that one object's events stay in
 * order on one shard: the first 4 bytes of SHA-1(`<project>\n<object_type>\n<object_name>`) (UTF-8),
 * read as an unsigned big-endian integer, modulo N. Producers in other languages compute the same
 * (README, "Redis Cluster and Sentinel").
 */
import { createHash } from 'node:crypto';

/** Most shards HOOKPOST_SHARDS accepts. */
export const MAX_SHARDS = 256;

/** What an event's shard depends on. */
export interface ShardKey {
  readonly project: string;
  readonly object_type: string;
  readonly object_name: string;
}

/** The shard (0 … shards-1) of an event: see the module comment. */
export function shardOf(event: ShardKey, shards: number): number {
  if (shards <= 1) return 0;
  const digest = createHash('sha1').update(`${event.project}\n${event.object_type}\n${event.object_name}`, 'utf8').digest();
  return digest.readUInt32BE(0) % shards;
}

/**
 * The key prefix of events queue shard `shard` of `shards` under `prefix`: `prefix` itself when
 * there is one shard, else `-<shard>` inside the prefix's hash tag (or appended when it has none).
 */
export function shardPrefix(prefix: string, shard: number, shards: number): string {
  if (shards <= 1) return prefix;
  const open = prefix.indexOf('{');
  const close = open < 0 ? -1 : prefix.indexOf('}', open + 1);
  if (close > open + 1) return `${prefix.slice(0, close)}-${shard}${prefix.slice(close)}`;
  return `${prefix}-${shard}`;
}

/** Every shard's prefix, shard 0 first. */
export function shardPrefixes(prefix: string, shards: number): string[] {
  return Array.from({ length: Math.max(1, shards) }, (_, i) => shardPrefix(prefix, i, shards));
}
