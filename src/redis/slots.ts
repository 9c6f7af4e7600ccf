/**
 * Redis Cluster slots: a key's slot is CRC16 (XMODEM: polynomial 0x1021, initial value 0) of its
 * hash tag (the text between the first `{` and the next `}`, when not empty) or else of the whole
 * key, modulo 16384. The same computation as Redis's `CLUSTER KEYSLOT` (tested against it).
 */
import { hashTagOf } from './url.js';

/** Number of slots of a Redis Cluster. */
export const CLUSTER_SLOTS = 16_384;

const TABLE = Array.from({ length: 256 }, (_, byte) => {
  let crc = byte << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  return crc;
});

/** CRC16/XMODEM of the UTF-8 bytes of `text`. */
export function crc16(text: string): number {
  let crc = 0;
  for (const byte of Buffer.from(text, 'utf8')) crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ byte) & 0xff] as number);
  return crc;
}

/** The slot of `key` (by its hash tag when it has one), as `CLUSTER KEYSLOT` answers. */
export function keySlot(key: string): number {
  return crc16(hashTagOf(key) ?? key) % CLUSTER_SLOTS;
}

/**
 * The `index`-th of `count` equal slot ranges, first and last slot included: from
 * round(index × 16384 / count) to round((index + 1) × 16384 / count) − 1 (round half up). It is
 * how `redis-cli --cluster create` splits the slots among `count` masters.
 */
export function slotRange(index: number, count: number): readonly [number, number] {
  const at = (i: number) => Math.floor((i * CLUSTER_SLOTS) / count + 0.5);
  return [at(index), at(index + 1) - 1];
}
