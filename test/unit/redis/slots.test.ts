import { describe, expect, it } from 'vitest';
import { CLUSTER_SLOTS, crc16, keySlot, slotRange } from '../../../src/redis/slots.js';

describe('Redis Cluster slots', () => {
  it('CRC16 is CRC-16/XMODEM (check value of "123456789" is 0x31C3)', () => {
    expect(crc16('123456789')).toBe(0x31c3);
    expect(crc16('')).toBe(0);
  });

  it('hashes a key by its hash tag, as Redis documents (foo → 12182)', () => {
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('{hookpost}:events:wait')).toBe(5023);
    // An empty tag is no tag: the whole key is hashed.
    expect(keySlot('foo{}{bar}')).toBe(crc16('foo{}{bar}') % CLUSTER_SLOTS);
  });

  it('splits the slots as redis-cli --cluster create does', () => {
    expect([0, 1, 2].map((i) => slotRange(i, 3))).toEqual([
      [0, 5460],
      [5461, 10922],
      [10923, 16383],
    ]);
    expect(slotRange(0, 1)).toEqual([0, 16383]);
    for (const n of [2, 5, 7, 256]) {
      const ranges = Array.from({ length: n }, (_, i) => slotRange(i, n));
      expect(ranges[0]?.[0]).toBe(0);
      expect(ranges[n - 1]?.[1]).toBe(16383);
      for (let i = 1; i < n; i++) expect(ranges[i]?.[0]).toBe((ranges[i - 1]?.[1] ?? 0) + 1);
    }
  });
});
