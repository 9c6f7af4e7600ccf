import { describe, expect, it } from 'vitest';
import { REDACTED, redact, redactionNeedles } from '../../../src/delivery/redact.js';

describe('redact', () => {
  const needles = redactionNeedles(['Bearer abcdefgh12345678', 'whsec_QUJDREVGR0g=', 'a b&c/é']);

  it('replaces a value as sent, JSON-escaped, URL-encoded, and its credentials on their own', () => {
    expect(redact('auth=Bearer abcdefgh12345678;', needles)).toBe(`auth=${REDACTED};`);
    expect(redact('{"token":"abcdefgh12345678"}', needles)).toBe(`{"token":"${REDACTED}"}`);
    expect(redact('k=a%20b%26c%2F%C3%A9&x=a+b%26c%2F%C3%A9', needles)).toBe(`k=${REDACTED}&x=${REDACTED}`);
    // Python's json.dumps writes non-ASCII as \uXXXX; Go's encoding/json writes & as \u0026.
    expect(redact('{"k": "a b&c/\\u00e9"}', needles)).toBe(`{"k": "${REDACTED}"}`);
    expect(redact('{"k":"a b\\u0026c/é"}', needles)).toBe(`{"k":"${REDACTED}"}`);
    expect(redact('secret QUJDREVGR0g= and whsec_QUJDREVGR0g=', needles)).toBe(`secret ${REDACTED} and ${REDACTED}`);
  });

  it('replaces the beginning of a value that the excerpt limit cut off, and leaves other text alone', () => {
    expect(redact('...... Bearer abcd', needles)).toBe(`...... ${REDACTED}`);
    expect(redact('ok: abcdefgh1', needles)).toBe(`ok: ${REDACTED}`);
    expect(redact('nothing to see here', needles)).toBe('nothing to see here');
    expect(redact('ends with a', needles)).toBe('ends with a');
  });

  it('ignores empty values', () => {
    expect(redactionNeedles(['', ''])).toEqual([]);
  });
});
