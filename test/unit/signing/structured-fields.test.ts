import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from '../../../src/signing/base64.js';
import {
  type InnerList,
  StructuredFieldError,
  parseDictionary,
  serializeInnerList,
  serializeItem,
} from '../../../src/signing/structured-fields.js';

describe('parseDictionary (RFC 8941 §4.2.2)', () => {
  it('parses a Signature-Input member and re-serializes it canonically', () => {
    const input = 'sig1=( "@method"  "date" );created=1;keyid="k\\"1";alg="ed25519";expires=2;nonce="n"';
    const [[label, member]] = parseDictionary(input) as [[string, InnerList]];
    expect(label).toBe('sig1');
    expect(member.kind).toBe('inner-list');
    expect(serializeInnerList(member)).toBe('("@method" "date");created=1;keyid="k\\"1";alg="ed25519";expires=2;nonce="n"');
  });

  it('parses every bare item type and boolean members', () => {
    const members = parseDictionary('a=1, b=-2.5, c="s", d=tok/en:x, e=:AQID:, f=?0, g, h;p=1');
    expect(members.map(([key, member]) => [key, member.kind === 'item' ? member.value : undefined])).toEqual([
      ['a', { type: 'integer', value: 1 }],
      ['b', { type: 'decimal', value: -2.5 }],
      ['c', { type: 'string', value: 's' }],
      ['d', { type: 'token', value: 'tok/en:x' }],
      ['e', { type: 'binary', value: new Uint8Array([1, 2, 3]) }],
      ['f', { type: 'boolean', value: false }],
      ['g', { type: 'boolean', value: true }],
      ['h', { type: 'boolean', value: true }],
    ]);
  });

  it.each([
    ['a trailing comma', 'a=1,'],
    ['an upper-case key', 'A=1'],
    ['an unterminated string', 'a="x'],
    ['an invalid escape', 'a="\\n"'],
    ['a non-ASCII string', 'a="é"'],
    ['an unterminated inner list', 'a=("x"'],
    ['items not separated by a space', 'a=("x""y")'],
    ['a 16-digit integer', 'a=1234567890123456'],
    ['a decimal with 4 fraction digits', 'a=1.2345'],
    ['bad base64', 'a=:AQ=D:'],
    ['a repeated key', 'a=1, a=2'],
    ['a repeated parameter', 'a=1;p=1;p=2'],
    ['garbage after a member', 'a=1 b'],
  ])('rejects %s', (_name, input) => {
    expect(() => parseDictionary(input)).toThrow(StructuredFieldError);
  });

  it('accepts an empty field as an empty dictionary', () => {
    expect(parseDictionary('')).toEqual([]);
  });
});

describe('serializeItem decimals (RFC 8941 §4.1.5: three digits, half to even)', () => {
  const decimal = (value: number) => serializeItem({ kind: 'item', value: { type: 'decimal', value }, params: [] });

  it.each([
    [0.0025, '0.002'],
    [0.0035, '0.004'],
    [-0.0025, '-0.002'],
    [-0.0015, '-0.002'],
    [2.0005, '2.0'],
    [0.0015000001, '0.002'],
    [0.0005, '0.0'],
    [-0.0005, '0.0'],
    [1e-7, '0.0'],
    [0.1 + 0.2, '0.3'],
    [9.9995, '10.0'],
    [123456789012.9995, '123456789013.0'],
    [999999999999.999, '999999999999.999'],
    [-0, '0.0'],
    [1.5, '1.5'],
  ])('%d → %s', (value, text) => {
    expect(decimal(value)).toBe(text);
  });

  it.each([999999999999.9995, 1e21, Number.NaN, Number.POSITIVE_INFINITY])('refuses %d (over 12 integer digits or not finite)', (value) => {
    expect(() => decimal(value)).toThrow(StructuredFieldError);
  });
});

describe('base64', () => {
  it('round-trips every length and matches Buffer', () => {
    for (let length = 0; length < 70; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + length) & 255);
      const text = encodeBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(decodeBase64(text)).toEqual(bytes);
    }
  });

  it.each(['A', 'AB=', 'A===', 'AB$D', 'AB=C', 'AR==', 'AAB=', '=AAA'])('rejects non-canonical %s', (text) => {
    expect(decodeBase64(text)).toBeUndefined();
  });
});
