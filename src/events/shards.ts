/**
 * Sharded events queues (HOOKPOST_SHARDS). With N = 1 (the default) there is one events queue,
 * `<prefix>:<queue>`, as always. With N > 1 there are N, each under its own hash tag so that each
 * lands in its own Redis Cluster slot, and the tags are chosen by slot so that the N queues spread
 * over the masters of an evenly split cluster. BullMQ names a queue's keys `<prefix>:<queue>:…`, so
 * the tag has to be in the prefix.
 *
 * The shard tag rule (README, "Redis Cluster and Sentinel"; producers in other languages compute
 * it): let T be the prefix's hash tag (`hookpost` for `{hookpost}`), or the whole prefix when it has
 * none. Shard i of N uses the candidate `T-<k>` for the smallest k = 0, 1, 2, … whose slot
 * (CRC16/XMODEM of `T-<k>` modulo 16384, as `CLUSTER KEYSLOT`) lies in the i-th of N equal slot
 * ranges, round(i × 16384 / N) … round((i + 1) × 16384 / N) − 1 (see src/redis/slots.ts). The
 * shard's prefix is the main prefix with its tag replaced by the candidate (`{hookpost}` →
 * `{hookpost-2}`, `acme:{hp}` → `acme:{hp-<k>}`), or the candidate itself for a prefix without a
 * tag. Example, `{hookpost}` with N = 3: `{hookpost-2}` (slot 3857), `{hookpost-3}` (7984),
 * `{hookpost-0}` (12115).
 *
 * Before this rule shard i used `T-<i>` ({@link previousShardPrefix}); those tags hash where they
 * happen to (`{hookpost-0}`…`{hookpost-2}` land on two masters of three). Workers drain the queues
 * under the previous tags that no current shard uses (src/queue/engine.ts).
 *
 * An event's shard is a stable hash of the object it is about, so that one object's events stay in
 * order on one shard: the first 4 bytes of SHA-1(`<project>\n<object_type>\n<object_name>`) (UTF-8),
 * read as an unsigned big-endian integer, modulo N.
 */
import { createHash } from 'node:crypto';
import { hashTagOf } from '../redis/url.js';
import { CLUSTER_SLOTS, crc16, slotRange } from '../redis/slots.js';

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

/** `prefix` with its hash tag T replaced by `T-<k>`, or `prefix-<k>` when it has no tag. */
function candidatePrefix(prefix: string, k: number): string {
  const tag = hashTagOf(prefix);
  if (tag === undefined) return `${prefix}-${k}`;
  const open = prefix.indexOf('{');
  return `${prefix.slice(0, open + 1)}${tag}-${k}${prefix.slice(open + 1 + tag.length)}`;
}

/** The text Redis hashes for a candidate: its tag, or the whole candidate prefix when it has none. */
const hashedText = (candidate: string) => hashTagOf(candidate) ?? candidate;

const chosen = new Map<string, readonly string[]>();

/** Every shard's prefix by the slot rule, shard 0 first. */
function slotRulePrefixes(prefix: string, shards: number): readonly string[] {
  const cacheKey = `${shards}\n${prefix}`;
  const cached = chosen.get(cacheKey);
  if (cached) return cached;
  const ranges = Array.from({ length: shards }, (_, i) => slotRange(i, shards));
  const found: Array<string | undefined> = new Array(shards).fill(undefined);
  let missing = shards;
  // Each candidate's slot is in exactly one range: the first candidate in a range is that shard's.
  // (For 256 shards the last one is found after a few hundred candidates; the bound is far.)
  for (let k = 0; missing > 0; k++) {
    if (k > 1_000_000) throw new Error(`no shard tag found for ${prefix} with ${shards} shards`);
    const candidate = candidatePrefix(prefix, k);
    const slot = crc16(hashedText(candidate)) % CLUSTER_SLOTS;
    const shard = ranges.findIndex(([first, last]) => slot >= first && slot <= last);
    if (shard >= 0 && found[shard] === undefined) {
      found[shard] = candidate;
      missing--;
    }
  }
  const result = Object.freeze(found as string[]);
  chosen.set(cacheKey, result);
  return result;
}

/**
 * The key prefix of events queue shard `shard` of `shards` under `prefix`: `prefix` itself when
 * there is one shard, else the slot rule of the module comment.
 */
export function shardPrefix(prefix: string, shard: number, shards: number): string {
  if (shards <= 1) return prefix;
  const result = slotRulePrefixes(prefix, shards)[shard];
  if (result === undefined) throw new RangeError(`shard ${shard} does not exist with ${shards} shards`);
  return result;
}

/** Every shard's prefix, shard 0 first. */
export function shardPrefixes(prefix: string, shards: number): string[] {
  return Array.from({ length: Math.max(1, shards) }, (_, i) => shardPrefix(prefix, i, shards));
}

/** The prefix shard `shard` of `shards` had before the slot rule: `-<shard>` added to the tag (or appended). */
export function previousShardPrefix(prefix: string, shard: number, shards: number): string {
  return shards <= 1 ? prefix : candidatePrefix(prefix, shard);
}

/**
 * The queues of the previous rule still to drain for `shard`: its previous prefix, unless a current
 * shard uses that prefix (its queue is consumed as that shard), else none.
 */
export function previousShardPrefixToDrain(prefix: string, shard: number, shards: number): string | undefined {
  if (shards <= 1) return undefined;
  const previous = previousShardPrefix(prefix, shard, shards);
  return shardPrefixes(prefix, shards).includes(previous) ? undefined : previous;
}
