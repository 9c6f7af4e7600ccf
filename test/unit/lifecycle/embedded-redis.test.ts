import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseLocalRedis, clientRedis } from '../../../src/lifecycle/embedded-redis.js';

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

describe('clientRedis: where the CLI and the demo find local mode Redis, in local mode order', () => {
  const dataDir = () => mkdtempSync(join(tmpdir(), 'hookpost-client-redis-'));

  it('HOOKPOST_REDIS_URL first, even with an embedded Redis recorded', () => {
    const dir = dataDir();
    mkdirSync(join(dir, 'redis'));
    writeFileSync(join(dir, 'redis', 'port'), '41234\n');
    expect(clientRedis({ HOOKPOST_REDIS_URL: 'redis://redis.example:6380', HOOKPOST_DATA_DIR: dir })).toEqual({
      url: 'redis://redis.example:6380',
      why: 'from HOOKPOST_REDIS_URL',
    });
  });

  it('then the embedded Redis whose port npm start recorded', () => {
    const dir = dataDir();
    mkdirSync(join(dir, 'redis'));
    writeFileSync(join(dir, 'redis', 'port'), '41234\n');
    const chosen = clientRedis({ HOOKPOST_DATA_DIR: dir, HOOKPOST_REDIS_URL: '' });
    expect(chosen.url).toBe('redis://127.0.0.1:41234');
    expect(chosen.why).toBe(`the embedded Redis of \`npm start\`, port recorded in ${join(dir, 'redis', 'port')} (is \`npm start\` running? or set HOOKPOST_REDIS_URL)`);
  });

  it('else the default on 127.0.0.1:6379', () => {
    const dir = dataDir();
    expect(clientRedis({ HOOKPOST_DATA_DIR: dir })).toEqual({
      url: 'redis://127.0.0.1:6379',
      why: `the default: HOOKPOST_REDIS_URL is unset and no embedded Redis is recorded in ${join(dir, 'redis')}`,
    });
  });
});
