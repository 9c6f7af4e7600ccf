import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/index.js';
import { hashTagOf, maskRedisUrl, parseRedisUrl } from '../../../src/redis/index.js';

describe('parseRedisUrl', () => {
  it('passes a single Redis URL through', () => {
    expect(parseRedisUrl('rediss://u:p%40ss@cache:6380/2')).toMatchObject({ kind: 'standalone', url: 'rediss://u:p%40ss@cache:6380/2', tls: true, username: 'u', password: 'p@ss' });
  });

  it('reads a cluster URL: seed nodes, credentials, TLS', () => {
    expect(parseRedisUrl('redis+cluster://10.0.0.1:7000,10.0.0.2:7001,[::1]:7002,node-3')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: '::1', port: 7002 },
        { host: 'node-3', port: 6379 },
      ],
      tls: false,
      username: undefined,
      password: undefined,
    });
    expect(parseRedisUrl('rediss+cluster://:s%3Acret@h1:6379')).toMatchObject({ kind: 'cluster', tls: true, password: 's:cret' });
  });

  it('reads a sentinel URL: sentinels, master name, db and sentinel credentials', () => {
    expect(parseRedisUrl('rediss+sentinel://app:pw@s1:26379,s2/mymaster?db=3&sentinelPassword=sp')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      masterName: 'mymaster',
      db: 3,
      tls: true,
      username: 'app',
      password: 'pw',
      sentinelUsername: undefined,
      sentinelPassword: 'sp',
    });
  });

  it.each([
    ['http://h:1', /expected a redis:\/\/ or rediss:\/\/ URL, redis\+cluster/],
    ['redis://h1:1,h2:2', /redis\+cluster/],
    ['redis+cluster://h1:1/2', /no \/db/],
    ['redis+cluster://h1:99999', /not host:port/],
    ['redis+sentinel://h1:26379', /master name/],
    ['redis+sentinel://h1:26379/m?tls=1', /unknown parameter tls/],
    ['redis+sentinel://:hunter2@h1:26379/m?db=x', /db must be/],
  ])('refuses %s', (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(message);
  });

  it('never puts the password in an error', () => {
    try {
      parseRedisUrl('redis+sentinel://:hunter2@h1:26379/m?db=x');
    } catch (err) {
      expect(String(err)).not.toContain('hunter2');
    }
  });
});

describe('maskRedisUrl', () => {
  it.each([
    ['redis+cluster://:s3cret@h1:7000,h2:7001', 'redis+cluster://:***@h1:7000,h2:7001'],
    ['rediss+sentinel://app:s3cret@s1:26379,s2:26379/mymaster?sentinelPassword=s3cret&db=1', 'rediss+sentinel://app:***@s1:26379,s2:26379/mymaster?sentinelPassword=***&db=1'],
    ['redis+cluster://h1:7000/', 'redis+cluster://h1:7000'],
  ])('%s -> %s', (url, masked) => {
    expect(maskRedisUrl(url)).toBe(masked);
  });
});

describe('hash tags', () => {
  it.each([
    ['{hookpost}', 'hookpost'],
    ['{hookpost-2}:events:wait', 'hookpost-2'],
    ['a{b}{c}', 'b'],
    ['{}hookpost', undefined],
    ['hookpost', undefined],
    ['hook{post', undefined],
  ])('%s has tag %s', (key, tag) => {
    expect(hashTagOf(key)).toBe(tag);
  });
});

describe('loadConfig and Redis topologies', () => {
  const base = { HOOKPOST_API_TOKENS: 'token-0123456789abcdef', HOOKPOST_SIGNING_KEY_FILE: '/k.pem', HOOKPOST_ENCRYPTION_KEY_FILE: '/e.key' };

  it('refuses an untagged prefix on a cluster, naming HOOKPOST_PREFIX', () => {
    expect(() => loadConfig({ ...base, HOOKPOST_REDIS_URL: 'redis+cluster://h1:7000,h2:7001' })).toThrow(
      /HOOKPOST_PREFIX: on Redis Cluster the prefix needs a hash tag .* e\.g\. \{hookpost\}/,
    );
    const config = loadConfig({ ...base, HOOKPOST_REDIS_URL: 'redis+cluster://:pw@h1:7000,h2:7001', HOOKPOST_PREFIX: '{hookpost}' });
    expect(config.redis).toMatchObject({ kind: 'cluster', password: 'pw' });
  });

  it('reads shards and the shards consumed, refusing shards that do not exist', () => {
    expect(loadConfig(base)).toMatchObject({ shards: 1, shardsConsumed: [0] });
    expect(loadConfig({ ...base, HOOKPOST_SHARDS: '4' })).toMatchObject({ shards: 4, shardsConsumed: [0, 1, 2, 3] });
    expect(loadConfig({ ...base, HOOKPOST_SHARDS: '4', HOOKPOST_SHARDS_CONSUMED: '2, 0,2' })).toMatchObject({ shardsConsumed: [0, 2] });
    expect(() => loadConfig({ ...base, HOOKPOST_SHARDS: '2', HOOKPOST_SHARDS_CONSUMED: '0,2' })).toThrow(/HOOKPOST_SHARDS_CONSUMED: shard 2 does not exist/);
    expect(() => loadConfig({ ...base, HOOKPOST_SHARDS_CONSUMED: 'one' })).toThrow(/HOOKPOST_SHARDS_CONSUMED: expected shard numbers/);
    expect(() => loadConfig({ ...base, HOOKPOST_SHARDS: '0' })).toThrow(/HOOKPOST_SHARDS: expected an integer 1-256/);
  });

  it('names the problem of a bad Redis URL without repeating it', () => {
    expect(() => loadConfig({ ...base, HOOKPOST_REDIS_URL: 'redis+sentinel://:hunter2@h1' })).toThrow(/HOOKPOST_REDIS_URL: a sentinel URL ends with/);
    try {
      loadConfig({ ...base, HOOKPOST_REDIS_URL: 'redis+sentinel://:hunter2@h1' });
    } catch (err) {
      expect(String(err)).not.toContain('hunter2');
    }
  });
});
