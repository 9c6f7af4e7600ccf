import { describe, expect, it } from 'vitest';
import { declaresNoBody, pathOf } from '../../../src/api/request-handling.js';

describe('request handling', () => {
  it('keeps the path and drops the query string', () => {
    expect(pathOf('/v2.1/projects/p/webhooks')).toBe('/v2.1/projects/p/webhooks');
    expect(pathOf('/v2.1/projects/p/webhooks?token=secret&x=1')).toBe('/v2.1/projects/p/webhooks');
    expect(pathOf('/a?')).toBe('/a');
    expect(pathOf('/a?b?c')).toBe('/a');
  });

  it('tells a request that declares no body (RFC 9112 §6.3)', () => {
    expect(declaresNoBody({})).toBe(true);
    expect(declaresNoBody({ 'content-length': '0' })).toBe(true);
    expect(declaresNoBody({ 'content-type': 'application/json' })).toBe(true);
    expect(declaresNoBody({ 'content-length': '2' })).toBe(false);
    expect(declaresNoBody({ 'transfer-encoding': 'chunked' })).toBe(false);
    expect(declaresNoBody({ 'transfer-encoding': 'chunked', 'content-length': '0' })).toBe(false);
  });
});
