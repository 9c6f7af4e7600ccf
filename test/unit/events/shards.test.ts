import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { previousShardPrefix, previousShardPrefixToDrain, shardOf, shardPrefix, shardPrefixes } from '../../../src/events/shards.js';
import { keySlot, slotRange } from '../../../src/redis/slots.js';

describe('event shards', () => {
  it('one shard is the layout of old: the prefix itself, shard 0', () => {
    expect(shardPrefix('{hookpost}', 0, 1)).toBe('{hookpost}');
    expect(shardPrefixes('hookpost', 1)).toEqual(['hookpost']);
    expect(shardOf({ project: 'p', object_type: 'deployment', object_name: 'x' }, 1)).toBe(0);
  });

  it('chooses shard tags by slot: shard i of N gets the first <tag>-<k> in the i-th of N equal slot ranges (the README example)', () => {
    expect(shardPrefixes('{hookpost}', 3)).toEqual(['{hookpost-2}', '{hookpost-3}', '{hookpost-0}']);
    expect(shardPrefixes('{hookpost}', 3).map((p) => keySlot(`${p}:events:wait`))).toEqual([3857, 7984, 12115]);
    expect(shardPrefixes('{hookpost}', 2)).toEqual(['{hookpost-2}', '{hookpost-0}']);
    // The tag is replaced where it stands; a prefix without one gets the candidate appended.
    expect(shardPrefixes('acme:{hp}:x', 4).every((p) => /^acme:\{hp-\d+\}:x$/.test(p))).toBe(true);
    expect(shardPrefixes('hookpost', 2)).toEqual(['hookpost-2', 'hookpost-0']);
    expect(() => shardPrefix('{hookpost}', 3, 3)).toThrow(RangeError);
  });

  it('puts every shard of every N in its own range of slots, with the first candidate that lands there', () => {
    for (const n of [2, 3, 4, 5, 6, 7, 8, 12, 16, 64, 256]) {
      const prefixes = shardPrefixes('{hookpost}', n);
      expect(new Set(prefixes).size).toBe(n);
      prefixes.forEach((p, i) => {
        const [first, last] = slotRange(i, n);
        const k = Number(/-(\d+)\}$/.exec(p)?.[1]);
        expect(keySlot(p), `${p}, shard ${i} of ${n}`).toBeGreaterThanOrEqual(first);
        expect(keySlot(p)).toBeLessThanOrEqual(last);
        // No smaller candidate lands in this range.
        for (let j = 0; j < k; j++) {
          const slot = keySlot(`{hookpost-${j}}`);
          expect(slot < first || slot > last, `{hookpost-${j}} also lands in shard ${i} of ${n}`).toBe(true);
        }
      });
    }
  });

  it('knows the previous rule (-<shard> in the tag) and which of its queues no current shard uses', () => {
    expect([0, 1, 2].map((i) => previousShardPrefix('{hookpost}', i, 3))).toEqual(['{hookpost-0}', '{hookpost-1}', '{hookpost-2}']);
    expect(previousShardPrefix('acme:{hp}:x', 2, 4)).toBe('acme:{hp-2}:x');
    expect(previousShardPrefix('hookpost', 1, 2)).toBe('hookpost-1');
    expect(previousShardPrefix('{hookpost}', 0, 1)).toBe('{hookpost}');
    // {hookpost-0} and {hookpost-2} are shards 2 and 0 now: only {hookpost-1} is left to drain.
    expect([0, 1, 2].map((i) => previousShardPrefixToDrain('{hookpost}', i, 3))).toEqual([undefined, '{hookpost-1}', undefined]);
    expect(previousShardPrefixToDrain('{hookpost}', 0, 1)).toBeUndefined();
  });

  it('is the first 4 bytes of SHA-1(project \\n object_type \\n object_name), big-endian, mod N (the README example)', () => {
    const event = { project: 'acme', object_type: 'deployment', object_name: 'image-classifier' };
    const digest = createHash('sha1').update('acme\ndeployment\nimage-classifier').digest();
    expect(digest.subarray(0, 4).toString('hex')).toBe('44c77875');
    expect(digest.readUInt32BE(0)).toBe(1153923189);
    expect(shardOf(event, 3)).toBe(1153923189 % 3);
    expect(shardOf(event, 3)).toBe(0);
    expect(shardOf(event, 4)).toBe(1);
  });

  it('keeps one object on one shard and spreads objects over all shards', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4_000; i++) {
      const event = { project: 'p', object_type: 'deployment', object_name: `model-${i}` };
      const shard = shardOf(event, 4);
      expect(shardOf({ ...event }, 4)).toBe(shard);
      counts[shard] = (counts[shard] ?? 0) + 1;
    }
    for (const n of counts) expect(n).toBeGreaterThan(850);
  });
});
