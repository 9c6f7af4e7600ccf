/** Every key and value of a Redis, as text: for tests that check a secret is stored nowhere. */
import type { Redis } from 'ioredis';

/**
 * SCANs every key and reads it by its TYPE (string, hash, list, set, sorted set, stream), returning
 * one line per key: its name, type and every field and value as JSON. Fails on a type it cannot read.
 */
export async function dumpRedis(redis: Redis): Promise<string> {
  const lines: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      let value: unknown;
      switch (type) {
        case 'none':
          continue; // expired or deleted since the scan saw it
        case 'string':
          value = await redis.getBuffer(key).then((b) => b?.toString('latin1'));
          break;
        case 'hash':
          value = await redis.hgetall(key);
          break;
        case 'list':
          value = await redis.lrange(key, 0, -1);
          break;
        case 'set':
          value = await redis.smembers(key);
          break;
        case 'zset':
          value = await redis.zrange(key, 0, -1, 'WITHSCORES');
          break;
        case 'stream':
          value = await redis.xrange(key, '-', '+');
          break;
        default:
          throw new Error(`dumpRedis: key ${key} has type ${type}, which it cannot read`);
      }
      lines.push(`${key} ${type} ${JSON.stringify(value)}`);
    }
  } while (cursor !== '0');
  return lines.join('\n');
}

/** The needles found in `haystack`, for a readable failure. */
export const found = (haystack: string, needles: readonly string[]): string[] => needles.filter((n) => haystack.includes(n));
