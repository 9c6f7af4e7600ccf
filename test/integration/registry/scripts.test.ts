import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { defineScript, runScript } from '../../../src/registry/scripts.js';
import { uniquePrefix } from '../../helpers/index.js';

describe('runScript', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('loads a script Redis does not know (NOSCRIPT) and then runs it by SHA', async () => {
    // A unique comment makes a script no earlier run has loaded.
    const script = defineScript(`-- ${randomBytes(8).toString('hex')}\nreturn redis.call('INCR', KEYS[1]) + ARGV[1]`);
    expect(await redis.script('EXISTS', script.sha1)).toEqual([0]);
    const key = `${uniquePrefix()}:n`;
    expect(await runScript(redis, script, [key], [10])).toBe(11);
    expect(await redis.script('EXISTS', script.sha1)).toEqual([1]);
    expect(await runScript(redis, script, [key], [10])).toBe(12);
  });

  it('passes other errors through', async () => {
    const script = defineScript(`-- ${randomBytes(8).toString('hex')}\nreturn redis.call('NOPE')`);
    await expect(runScript(redis, script, [], [])).rejects.toThrow();
  });
});
