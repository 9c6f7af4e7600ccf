import { describe, expect, it } from 'vitest';
import { createTokenCheck } from '../../../src/api/auth.js';

describe('createTokenCheck', () => {
  const check = createTokenCheck(['first-token-0123456789', 'second-token-0123456789']);

  it('accepts each configured token with the Token scheme', () => {
    expect(check('Token first-token-0123456789')).toBeNull();
    expect(check('Token second-token-0123456789')).toBeNull();
    expect(check('token   first-token-0123456789  ')).toBeNull();
  });

  it('names the problem without echoing the token', () => {
    expect(check(undefined)).toContain('missing Authorization header');
    expect(check('   ')).toContain('missing Authorization header');
    expect(check('Bearer first-token-0123456789')).toContain('scheme must be Token');
    expect(check('first-token-0123456789')).toContain('scheme must be Token');
    expect(check('Token a b')).toContain('scheme must be Token');
    for (const wrong of ['Token first-token-012345678', 'Token first-token-01234567890', 'Token x']) {
      const problem = check(wrong);
      expect(problem).toBe('invalid API token');
    }
  });
});
