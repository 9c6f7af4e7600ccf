import { describe, expect, it } from 'vitest';
import { describeRedisError, maskRedisUrl } from '../../../src/observability/redis-connection.js';

describe('maskRedisUrl', () => {
  it.each([
    ['redis://:s3cret@host:6379', 'redis://:***@host:6379'],
    ['redis://user:s3cret@host:6379/2', 'redis://user:***@host:6379/2'],
    ['rediss://default:p%40ss@cache.example.com:6380', 'rediss://default:***@cache.example.com:6380'],
    ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['redis://user@host:1', 'redis://user@host:1'],
    ['not a url s3cret', '<redis url>'],
  ])('%s -> %s', (url, masked) => {
    expect(maskRedisUrl(url)).toBe(masked);
  });
});

describe('describeRedisError', () => {
  const url = 'redis://:s3cret@host:6379';
  it('says NOAUTH and WRONGPASS as such, never the password', () => {
    const noauth = describeRedisError(new Error('NOAUTH Authentication required.'), url);
    expect(noauth.kind).toBe('auth_required');
    const wrong = describeRedisError(new Error('WRONGPASS invalid username-password pair or user is disabled.'), url);
    expect(wrong.kind).toBe('auth_failed');
    const refused = describeRedisError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }), url);
    expect(refused).toEqual({ kind: 'unreachable', message: 'cannot reach Redis at redis://:***@host:6379 (ECONNREFUSED)' });
    for (const p of [noauth, wrong, refused]) expect(p.message).not.toContain('s3cret');
  });
});
