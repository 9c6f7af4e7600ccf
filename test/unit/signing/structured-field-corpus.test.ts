/**
 * The HTTPWG structured-field-tests corpus (test/fixtures/structured-field-tests, see the README
 * there) against src/signing/structured-fields.ts: every parse test (a field value, its expected
 * structure or `must_fail`, and its canonical serialization) and every serialisation test.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type BareItem,
  type DictionaryMember,
  type Item,
  type Parameters,
  StructuredFieldError,
  parseDictionary,
  parseItem,
  parseList,
  serializeDictionary,
  serializeItem,
  serializeList,
} from '../../../src/signing/structured-fields.js';
import { REPO_ROOT } from '../../helpers/metric-names.js';

const CORPUS = join(REPO_ROOT, 'test/fixtures/structured-field-tests');

/**
 * Files for RFC 9651's Date (`@1659578233`) and Display String (`%"..."`) types, which RFC 8941 (what
 * the signature headers use) does not have: our parser refuses them, as RFC 8941 requires.
 */
const NOT_RFC_8941 = new Set(['date.json', 'display-string.json']);

/**
 * Deliberate departures from the corpus, `file: test name`. RFC 8941 keeps the last value of a
 * repeated dictionary key or parameter; our parser refuses the field instead, so that a verifier never
 * guesses which `Signature` / `Signature-Input` member or which `created` parameter is meant. A
 * repeated dictionary key says so with `duplicateKey` (the verifier's `duplicate_label`).
 */
const REFUSED_DUPLICATE_KEYS = ['dictionary.json: duplicate key dictionary', 'key-generated.json: 0x2c in dictionary key'];
/** The same rule for parameters (`a;b=1;c=2;b=3`), seen in two List tests. */
const REFUSED_DUPLICATE_PARAMETERS = [
  'param-list.json: duplicate parameter with different positions',
  'key-generated.json: 0x3b in parameterised list key',
];

type JsonBare = number | string | boolean | { __type: string; value: string | number };
type JsonParams = Array<[string, JsonBare]>;
type JsonItem = [JsonBare, JsonParams];
type JsonInnerList = [JsonItem[], JsonParams];
type JsonMember = JsonItem | JsonInnerList;

interface CorpusTest {
  readonly name: string;
  readonly raw?: string[];
  readonly header_type: 'item' | 'list' | 'dictionary';
  readonly expected?: unknown;
  readonly must_fail?: boolean;
  readonly can_fail?: boolean;
  readonly canonical?: string[];
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let buffer = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out.padEnd(Math.ceil(out.length / 8) * 8, '=');
}

function base32Decode(text: string): Uint8Array {
  const out: number[] = [];
  let bits = 0;
  let buffer = 0;
  for (const char of text.replace(/=+$/, '')) {
    buffer = (buffer << 5) | BASE32.indexOf(char);
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}

// Our structures as the corpus writes them (README of the corpus: "expected" data structure).
function bareToJson(value: BareItem): JsonBare {
  switch (value.type) {
    case 'token':
      return { __type: 'token', value: value.value };
    case 'binary':
      return { __type: 'binary', value: base32Encode(value.value) };
    default:
      return value.value;
  }
}
const paramsToJson = (params: Parameters): JsonParams => params.map(([key, value]) => [key, bareToJson(value)]);
const itemToJson = (item: Item): JsonItem => [bareToJson(item.value), paramsToJson(item.params)];
const memberToJson = (member: DictionaryMember): JsonMember =>
  member.kind === 'item' ? itemToJson(member) : [member.items.map(itemToJson), paramsToJson(member.params)];

// The corpus's structures as ours; a JSON number is an Integer when it has no fraction.
function bareFromJson(value: JsonBare): BareItem {
  if (typeof value === 'number') return Number.isInteger(value) ? { type: 'integer', value } : { type: 'decimal', value };
  if (typeof value === 'string') return { type: 'string', value };
  if (typeof value === 'boolean') return { type: 'boolean', value };
  if (value.__type === 'token') return { type: 'token', value: String(value.value) };
  if (value.__type === 'binary') return { type: 'binary', value: base32Decode(String(value.value)) };
  throw new Error(`no RFC 8941 type for ${value.__type}`);
}
const paramsFromJson = (params: JsonParams): Parameters => params.map(([key, value]) => [key, bareFromJson(value)] as const);
const itemFromJson = ([value, params]: JsonItem): Item => ({ kind: 'item', value: bareFromJson(value), params: paramsFromJson(params) });
function memberFromJson(member: JsonMember): DictionaryMember {
  const [value, params] = member;
  if (Array.isArray(value)) return { kind: 'inner-list', items: (value as JsonItem[]).map(itemFromJson), params: paramsFromJson(params) };
  return itemFromJson(member as JsonItem);
}

function parse(test: CorpusTest): unknown {
  const input = (test.raw ?? []).join(', ');
  switch (test.header_type) {
    case 'item':
      return itemToJson(parseItem(input));
    case 'list':
      return parseList(input).map(memberToJson);
    case 'dictionary':
      return parseDictionary(input).map(([key, member]) => [key, memberToJson(member)]);
  }
}

function serialize(type: CorpusTest['header_type'], expected: unknown): string {
  switch (type) {
    case 'item':
      return serializeItem(itemFromJson(expected as JsonItem));
    case 'list':
      return serializeList((expected as JsonMember[]).map(memberFromJson));
    case 'dictionary':
      return serializeDictionary((expected as Array<[string, JsonMember]>).map(([key, member]) => [key, memberFromJson(member)] as const));
  }
}

function load(file: string): CorpusTest[] {
  return JSON.parse(readFileSync(join(CORPUS, file), 'utf8')) as CorpusTest[];
}

const parseFiles = readdirSync(CORPUS).filter((f) => f.endsWith('.json') && !NOT_RFC_8941.has(f));
const serialisationFiles = readdirSync(join(CORPUS, 'serialisation-tests')).filter((f) => f.endsWith('.json'));

describe('HTTPWG structured-field-tests corpus', () => {
  it('is all there, with its licence, and every file is run or listed as out of scope', () => {
    expect(readFileSync(join(CORPUS, 'LICENSE.md'), 'utf8')).toContain('IETF Trust');
    expect(parseFiles.length + NOT_RFC_8941.size).toBe(20);
    expect(serialisationFiles).toHaveLength(4);
    for (const exception of [...REFUSED_DUPLICATE_KEYS, ...REFUSED_DUPLICATE_PARAMETERS]) {
      const [file, name] = exception.split(': ') as [string, string];
      expect(load(file).map((t) => t.name)).toContain(name);
    }
  });

  describe.each(parseFiles)('parse %s', (file) => {
    const tests = load(file);
    it.each(tests.map((t) => [t.name, t] as const))('%s', (name, test) => {
      if (REFUSED_DUPLICATE_KEYS.includes(`${file}: ${name}`)) {
        expect(test.must_fail).toBeFalsy();
        let error: unknown;
        try {
          parse(test);
        } catch (err) {
          error = err;
        }
        expect(error).toBeInstanceOf(StructuredFieldError);
        expect((error as StructuredFieldError).duplicateKey).toBe(true);
        return;
      }
      if (REFUSED_DUPLICATE_PARAMETERS.includes(`${file}: ${name}`)) {
        expect(test.must_fail).toBeFalsy();
        expect(() => parse(test)).toThrow(/parameter "[a-z]+" appears more than once/);
        return;
      }
      if (test.must_fail) {
        expect(() => parse(test)).toThrow(StructuredFieldError);
        return;
      }
      let parsed: unknown;
      try {
        parsed = parse(test);
      } catch (err) {
        if (test.can_fail && err instanceof StructuredFieldError) return;
        throw err;
      }
      expect(parsed).toEqual(test.expected);
      // Serialize what we parsed (it knows Integer from Decimal, which the JSON `expected` cannot say).
      const reparsed =
        test.header_type === 'item'
          ? serializeItem(parseItem((test.raw ?? []).join(', ')))
          : test.header_type === 'list'
            ? serializeList(parseList((test.raw ?? []).join(', ')))
            : serializeDictionary(parseDictionary((test.raw ?? []).join(', ')));
      expect(reparsed).toBe((test.canonical ?? test.raw ?? []).join(', '));
    });
  });

  describe.each(serialisationFiles)('serialise serialisation-tests/%s', (file) => {
    const tests = load(join('serialisation-tests', file));
    it.each(tests.map((t) => [t.name, t] as const))('%s', (_name, test) => {
      if (test.must_fail) {
        expect(() => serialize(test.header_type, test.expected)).toThrow(StructuredFieldError);
        return;
      }
      expect(serialize(test.header_type, test.expected)).toBe((test.canonical ?? []).join(', '));
    });
  });
});
