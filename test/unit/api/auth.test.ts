import { describe, expect, it } from 'vitest';
import { createTokenAuthenticator, createTokenCheck } from '../../../src/api/auth.js';

describe('createTokenCheck', () => {
  const check = createTokenCheck(['first-token-0123456789', 'second-token-0123456789']);

  it('accepts each configured token with the Token scheme', () => {
    expect(check('Token first-token-0123456789')).toBeNull();
    expect(check('Token second-token-0123456789')).toBeNull();
    expect(check('token   first-token-0123456789  ')).toBeNull();
  });

  it('accepts the Bearer scheme too (the UP42 SDK sends it), in any case', () => {
    expect(check('Bearer first-token-0123456789')).toBeNull();
    expect(check('bearer second-token-0123456789')).toBeNull();
    expect(check('Bearer first-token-012345678')).toBe('invalid API token');
  });

  it('names the problem without echoing the token', () => {
    expect(check(undefined)).toContain('missing Authorization header');
    expect(check('   ')).toContain('missing Authorization header');
    expect(check('Basic first-token-0123456789')).toContain('scheme must be Token or Bearer');
    expect(check('first-token-0123456789')).toContain('scheme must be Token or Bearer');
    expect(check('Token a b')).toContain('scheme must be Token or Bearer');
    expect(check('Bearer a b')).toContain('scheme must be Token or Bearer');
    for (const wrong of ['Token first-token-012345678', 'Token first-token-01234567890', 'Token x']) {
      const problem = check(wrong);
      expect(problem).toBe('invalid API token');
    }
  });
});

describe('createTokenAuthenticator', () => {
  const authenticate = createTokenAuthenticator([
    'every-project-0123456789',
    { projects: ['alpha', 'beta'], reveal: () => 'scoped-token-0123456789' },
    { projects: null, reveal: () => 'explicit-all-0123456789' },
  ]);

  it('returns the grant of the token that matched', () => {
    expect(authenticate('Token every-project-0123456789')).toEqual({ ok: true, grant: { projects: null } });
    expect(authenticate('Bearer explicit-all-0123456789')).toEqual({ ok: true, grant: { projects: null } });
    const scoped = authenticate('Token scoped-token-0123456789');
    expect(scoped.ok && [...(scoped.grant.projects ?? [])]).toEqual(['alpha', 'beta']);
  });

  it('refuses an unknown token without echoing it', () => {
    expect(authenticate('Token scoped-token-012345678')).toEqual({ ok: false, problem: 'invalid API token' });
  });
});
