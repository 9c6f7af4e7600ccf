import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { shardOf, shardPrefix, shardPrefixes } from '../../../src/events/shards.js';

describe('event shards', () => {
  it('one shard is the layout of old: the prefix itself, shard 0', () => {
    expect(shardPrefix('{hookpost}', 0, 1)).toBe('{hookpost}');
    expect(shardPrefixes('hookpost', 1)).toEqual(['hookpost']);
    expect(shardOf({ project: 'p', object_type: 'deployment', object_name: 'x' }, 1)).toBe(0);
  });

  it('puts the shard number inside the hash tag, or after a prefix without one', () => {
    expect(shardPrefixes('{hookpost}', 3)).toEqual(['{hookpost-0}', '{hookpost-1}', '{hookpost-2}']);
    expect(shardPrefix('acme:{hp}:x', 2, 4)).toBe('acme:{hp-2}:x');
    expect(shardPrefix('hookpost', 1, 2)).toBe('hookpost-1');
    expect(shardPrefix('a{}b', 1, 2)).toBe('a{}b-1');
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
