import { describe, expect, it } from 'vitest';
import { chooseLocalRedis } from '../../../src/lifecycle/embedded-redis.js';

describe('chooseLocalRedis', () => {
  const probe = (unreachable: boolean) => {
    const calls: number[] = [];
    return {
      calls,
      fn: async () => {
        calls.push(1);
        return unreachable;
      },
    };
  };

  it('uses HOOKPOST_REDIS_URL when it is set, without probing', async () => {
    const p = probe(true);
    expect(await chooseLocalRedis({ redisUrlSet: true, embeddedDataExists: true, defaultUnreachable: p.fn })).toBe('configured');
    expect(p.calls).toHaveLength(0);
  });

  it('keeps using the embedded Redis once it has data, even if a Redis now answers at the default URL', async () => {
    const p = probe(false);
    expect(await chooseLocalRedis({ redisUrlSet: false, embeddedDataExists: true, defaultUnreachable: p.fn })).toBe('embedded');
    expect(p.calls).toHaveLength(0);
  });

  it('starts the embedded Redis only when nothing answers at the default URL', async () => {
    expect(await chooseLocalRedis({ redisUrlSet: false, embeddedDataExists: false, defaultUnreachable: probe(true).fn })).toBe('embedded');
    expect(await chooseLocalRedis({ redisUrlSet: false, embeddedDataExists: false, defaultUnreachable: probe(false).fn })).toBe('configured');
  });
});
