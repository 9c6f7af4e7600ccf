import { describe, expect, it } from 'vitest';
import { requestTarget } from '../../../src/signing/index.js';
import { vectors } from './vectors.js';

describe('requestTarget', () => {
  for (const vector of [...vectors.cases, ...vectors.negative_cases]) {
    it(`matches vector ${vector.id}`, () => {
      const target = requestTarget(vector.url);
      expect(target.targetUri).toBe(vector.target_uri);
      expect(target.authority).toBe(vector.authority);
      expect(`${vector.method} ${target.path} HTTP/1.1`).toBe(vector.request_line);
      expect(target.origin + target.path).toBe(vector.target_uri);
    });
  }

  it.each([
    ['decodes escaped unreserved characters', 'https://h.example/%41%62%2D%2e%5F%7e%31', 'https://h.example/Ab-._~1'],
    ['keeps other escapes, upper-casing their hex', 'https://h.example/a%2Fb%2fc%c3%A9?q=%26%3d', 'https://h.example/a%2Fb%2Fc%C3%A9?q=%26%3D'],
    ['encodes brackets in path and query', 'https://h.example/[a]?b=[c]', 'https://h.example/%5Ba%5D?b=%5Bc%5D'],
    ['drops a bare trailing "?"', 'https://h.example/hook?', 'https://h.example/hook'],
    ['drops the fragment', 'https://h.example/hook?a=1#frag', 'https://h.example/hook?a=1'],
    ['drops a fragment after an empty path', 'https://h.example#frag', 'https://h.example/'],
    ['drops :443 on https', 'https://h.example:443/x', 'https://h.example/x'],
    ['drops :80 on http', 'http://h.example:80/x', 'http://h.example/x'],
    ['keeps :80 on https', 'https://h.example:80/x', 'https://h.example:80/x'],
    ['keeps :443 on http', 'http://h.example:443/x', 'http://h.example:443/x'],
    ['lower-cases the host', 'https://HOOKS.Example.COM:8443/Path', 'https://hooks.example.com:8443/Path'],
    ['brackets and compresses IPv6', 'http://[0:0:0:0:0:0:0:1]:8080/x', 'http://[::1]:8080/x'],
    ['encodes non-ASCII in the path', 'https://h.example/café', 'https://h.example/caf%C3%A9'],
    ['encodes what requests would re-quote', 'https://h.example/a|b^c?x={y}`z`', 'https://h.example/a%7Cb%5Ec?x=%7By%7D%60z%60'],
    ['escapes a lone "%"', 'https://h.example/100%?p=%zz', 'https://h.example/100%25?p=%25zz'],
    ['drops user information', 'https://user:pw@h.example/x', 'https://h.example/x'],
    ['converts an IDN host to punycode', 'https://bücher.example/x', 'https://xn--bcher-kva.example/x'],
  ])('%s', (_name, url, expected) => {
    expect(requestTarget(url).targetUri).toBe(expected);
  });

  it('splits origin, authority and path for the HTTP client', () => {
    expect(requestTarget('HTTPS://[2001:DB8::1]:443/a/b?c=d#e')).toEqual({
      origin: 'https://[2001:db8::1]',
      authority: '[2001:db8::1]',
      targetUri: 'https://[2001:db8::1]/a/b?c=d',
      path: '/a/b?c=d',
    });
  });

  it('accepts a URL object', () => {
    expect(requestTarget(new URL('http://Example.com:80')).targetUri).toBe('http://example.com/');
  });

  it('is idempotent: normalizing what it produced changes nothing', () => {
    for (const url of ['https://h.example/a|b%41%zz?x=^', 'http://h.example:8080/%C3%A9?', 'https://h.example']) {
      const once = requestTarget(url).targetUri;
      expect(requestTarget(once).targetUri).toBe(once);
    }
  });

  it('rejects relative URLs and other schemes', () => {
    expect(() => requestTarget('/hook')).toThrow(TypeError);
    expect(() => requestTarget('ftp://h.example/x')).toThrow(/scheme/);
  });
});
