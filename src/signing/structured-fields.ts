/**
 * RFC 8941 (Structured Field Values for HTTP), as HTTP Message Signatures need it: parsing (§4.2)
 * and serialization (§4.1) of Lists, Dictionaries and Items with Inner Lists and Parameters, and the
 * bare item types Integer, Decimal, String, Token, Byte Sequence and Boolean (not RFC 9651's Date and
 * Display String). The HTTPWG structured-field-tests corpus runs against it in the unit suite.
 * Pure and runtime-neutral: the receiver-side verifier imports it.
 *
 * Deliberately stricter than §4.2 in one way: a repeated dictionary key or parameter key is reported
 * instead of silently keeping the last value, so that a verifier can reject rather than guess.
 */
import { decodeBase64, encodeBase64 } from './base64.js';

/** A bare item (RFC 8941 §3.3), tagged so that integers and decimals, strings and tokens stay apart. */
export type BareItem =
  | { readonly type: 'integer'; readonly value: number }
  | { readonly type: 'decimal'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'token'; readonly value: string }
  | { readonly type: 'binary'; readonly value: Uint8Array }
  | { readonly type: 'boolean'; readonly value: boolean };

/** Parameters in their original order (RFC 8941 §3.1.2). */
export type Parameters = ReadonlyArray<readonly [key: string, value: BareItem]>;

/** An Item with its parameters (RFC 8941 §3.3). */
export interface Item {
  readonly kind: 'item';
  readonly value: BareItem;
  readonly params: Parameters;
}

/** An Inner List with its parameters (RFC 8941 §3.1.1). */
export interface InnerList {
  readonly kind: 'inner-list';
  readonly items: readonly Item[];
  readonly params: Parameters;
}

/** One dictionary member value. */
export type DictionaryMember = Item | InnerList;

/** Thrown by the parser for input that is not a valid structured field (or repeats a key). */
export class StructuredFieldError extends Error {
  override readonly name = 'StructuredFieldError';

  /** @param duplicateKey - true when the input is well-formed but repeats a dictionary key */
  constructor(
    message: string,
    readonly duplicateKey = false,
  ) {
    super(message);
  }
}

/**
 * Parses an RFC 8941 Dictionary (§4.2.2). Members keep their order; a repeated key is an error.
 * @throws StructuredFieldError on invalid input
 */
export function parseDictionary(input: string): Array<[string, DictionaryMember]> {
  const parser = new Parser(input);
  const members: Array<[string, DictionaryMember]> = [];
  const seen = new Set<string>();
  parser.skipSpaces();
  while (!parser.atEnd()) {
    const key = parser.parseKey();
    if (seen.has(key)) throw new StructuredFieldError(`dictionary key "${key}" appears more than once`, true);
    seen.add(key);
    let member: DictionaryMember;
    if (parser.peek() === '=') {
      parser.advance();
      member = parser.parseItemOrInnerList();
    } else {
      member = { kind: 'item', value: { type: 'boolean', value: true }, params: parser.parseParameters() };
    }
    members.push([key, member]);
    parser.skipOptionalWhitespace();
    if (parser.atEnd()) break;
    parser.expect(',');
    parser.skipOptionalWhitespace();
    if (parser.atEnd()) throw new StructuredFieldError('trailing comma in dictionary');
  }
  return members;
}

/**
 * Parses an RFC 8941 List (§4.2.1) of Items and Inner Lists.
 * @throws StructuredFieldError on invalid input
 */
export function parseList(input: string): DictionaryMember[] {
  const parser = new Parser(input);
  const members: DictionaryMember[] = [];
  parser.skipSpaces();
  while (!parser.atEnd()) {
    members.push(parser.parseItemOrInnerList());
    parser.skipOptionalWhitespace();
    if (parser.atEnd()) break;
    parser.expect(',');
    parser.skipOptionalWhitespace();
    if (parser.atEnd()) throw new StructuredFieldError('trailing comma in list');
  }
  return members;
}

/**
 * Parses an RFC 8941 Item (§4.2.3), with surrounding spaces allowed (§4.2).
 * @throws StructuredFieldError on invalid input
 */
export function parseItem(input: string): Item {
  const parser = new Parser(input);
  parser.skipSpaces();
  const item = parser.parseItem();
  parser.skipSpaces();
  if (!parser.atEnd()) throw parser.fail('unexpected character after the item');
  return item;
}

/** Serializes a Dictionary (RFC 8941 §4.1.2); a member whose value is a `true` boolean is written as its key. */
export function serializeDictionary(members: ReadonlyArray<readonly [string, DictionaryMember]>): string {
  return members
    .map(([key, member]) => {
      const name = serializeKey(key);
      if (member.kind === 'item' && member.value.type === 'boolean' && member.value.value) {
        return name + serializeParameters(member.params);
      }
      return `${name}=${serializeMember(member)}`;
    })
    .join(', ');
}

/** Serializes a List (RFC 8941 §4.1.1). */
export function serializeList(members: readonly DictionaryMember[]): string {
  return members.map(serializeMember).join(', ');
}

/** Serializes an Item with its parameters (RFC 8941 §4.1.3). */
export function serializeItem(item: Item): string {
  return serializeBareItem(item.value) + serializeParameters(item.params);
}

function serializeMember(member: DictionaryMember): string {
  return member.kind === 'inner-list' ? serializeInnerList(member) : serializeItem(member);
}

/** Serializes an Inner List with its parameters (RFC 8941 §4.1.1.1). */
export function serializeInnerList(list: InnerList): string {
  let out = '(';
  for (let i = 0; i < list.items.length; i++) {
    if (i > 0) out += ' ';
    out += serializeItem(list.items[i]!);
  }
  return `${out})${serializeParameters(list.params)}`;
}

/** Serializes parameters (RFC 8941 §4.1.1.2); a `true` boolean value is written as the bare key. */
export function serializeParameters(params: Parameters): string {
  let out = '';
  for (const [key, value] of params) {
    out += `;${serializeKey(key)}`;
    if (!(value.type === 'boolean' && value.value)) out += `=${serializeBareItem(value)}`;
  }
  return out;
}

/** Serializes a bare item (RFC 8941 §4.1.3). @throws StructuredFieldError for unrepresentable values */
export function serializeBareItem(item: BareItem): string {
  switch (item.type) {
    case 'integer':
      if (!Number.isSafeInteger(item.value) || Math.abs(item.value) > 999_999_999_999_999) {
        throw new StructuredFieldError(`integer out of range: ${item.value}`);
      }
      return String(item.value);
    case 'decimal':
      return serializeDecimal(item.value);
    case 'string':
      return serializeString(item.value);
    case 'token':
      if (!/^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*$/.test(item.value)) {
        throw new StructuredFieldError('invalid token');
      }
      return item.value;
    case 'binary':
      return `:${encodeBase64(item.value)}:`;
    case 'boolean':
      return item.value ? '?1' : '?0';
  }
}

/** Serializes an sf-string (RFC 8941 §4.1.6): printable ASCII, with `"` and `\` escaped. */
export function serializeString(value: string): string {
  if (PLAIN_STRING.test(value)) return `"${value}"`;
  if (!/^[\x20-\x7e]*$/.test(value)) throw new StructuredFieldError('string has non-printable or non-ASCII characters');
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

/** Serializes a dictionary or parameter key (RFC 8941 §4.1.1.3). */
export function serializeKey(key: string): string {
  if (!isKey(key)) throw new StructuredFieldError(`invalid key "${key}"`);
  return key;
}

/** True when `key` is a valid RFC 8941 key: `( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )`. */
export function isKey(key: string): boolean {
  return /^[a-z*][a-z0-9_\-.*]*$/.test(key);
}

/**
 * RFC 8941 §4.1.5: at most three fractional digits, rounded to the nearest and to the even digit
 * when exactly halfway (`0.0025` → `0.002`, `0.0035` → `0.004`), at most 12 integer digits. "Exactly
 * halfway" is judged on the shortest decimal that reads back as the same double (what `String()`
 * writes), the number the caller wrote: `0.0025` is halfway although its double is a hair above.
 */
function serializeDecimal(value: number): string {
  if (!Number.isFinite(value)) throw new StructuredFieldError(`decimal out of range: ${value}`);
  const { integer, fraction } = decimalDigits(Math.abs(value));
  let whole = BigInt(integer);
  let kept = fraction.slice(0, 3).padEnd(3, '0');
  const rest = fraction.slice(3);
  const halfOrMore = rest !== '' && rest[0]! >= '5';
  const moreThanHalf = halfOrMore && (rest[0]! > '5' || /[1-9]/.test(rest.slice(1)));
  const odd = (Number(kept[2]) & 1) === 1;
  if (moreThanHalf || (halfOrMore && odd)) {
    const up = BigInt(kept) + 1n;
    if (up === 1000n) {
      whole += 1n;
      kept = '000';
    } else kept = String(up).padStart(3, '0');
  }
  const integerText = whole.toString();
  if (integerText.length > 12) throw new StructuredFieldError(`decimal out of range: ${value}`);
  const fractionText = kept.replace(/0+$/, '') || '0';
  const negative = value < 0 && (whole !== 0n || fractionText !== '0');
  return `${negative ? '-' : ''}${integerText}.${fractionText}`;
}

/** The integer and fraction digits of a finite non-negative double's shortest decimal form. */
function decimalDigits(value: number): { integer: string; fraction: string } {
  const text = String(value);
  const e = text.indexOf('e');
  if (e < 0) {
    const dot = text.indexOf('.');
    return dot < 0 ? { integer: text, fraction: '' } : { integer: text.slice(0, dot), fraction: text.slice(dot + 1) };
  }
  // Exponent form (below 1e-6 or from 1e21): shift the point of the mantissa's digits.
  const mantissa = text.slice(0, e);
  const exponent = Number(text.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = mantissa.replace('.', '');
  const point = (dot < 0 ? mantissa.length : dot) + exponent;
  if (point <= 0) return { integer: '0', fraction: '0'.repeat(-point) + digits };
  if (point >= digits.length) return { integer: digits + '0'.repeat(point - digits.length), fraction: '' };
  return { integer: digits.slice(0, point), fraction: digits.slice(point) };
}

const PLAIN_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z:/]/;

class Parser {
  private pos = 0;

  constructor(private readonly input: string) {}

  atEnd(): boolean {
    return this.pos >= this.input.length;
  }

  peek(): string | undefined {
    return this.input[this.pos];
  }

  advance(): void {
    this.pos++;
  }

  expect(char: string): void {
    if (this.input[this.pos] !== char) throw this.fail(`expected "${char}"`);
    this.pos++;
  }

  skipSpaces(): void {
    while (this.input[this.pos] === ' ') this.pos++;
  }

  skipOptionalWhitespace(): void {
    while (this.input[this.pos] === ' ' || this.input[this.pos] === '\t') this.pos++;
  }

  parseKey(): string {
    const match = /^[a-z*][a-z0-9_\-.*]*/.exec(this.input.slice(this.pos));
    if (!match) throw this.fail('expected a key');
    this.pos += match[0].length;
    return match[0];
  }

  parseItemOrInnerList(): DictionaryMember {
    return this.peek() === '(' ? this.parseInnerList() : this.parseItem();
  }

  parseInnerList(): InnerList {
    this.expect('(');
    const items: Item[] = [];
    while (!this.atEnd()) {
      this.skipSpaces();
      if (this.peek() === ')') {
        this.pos++;
        return { kind: 'inner-list', items, params: this.parseParameters() };
      }
      items.push(this.parseItem());
      const next = this.peek();
      if (next !== ' ' && next !== ')') throw this.fail('expected a space or ")" in inner list');
    }
    throw this.fail('unterminated inner list');
  }

  parseItem(): Item {
    const value = this.parseBareItem();
    return { kind: 'item', value, params: this.parseParameters() };
  }

  parseParameters(): Parameters {
    const params: Array<[string, BareItem]> = [];
    const seen = new Set<string>();
    while (this.peek() === ';') {
      this.pos++;
      this.skipSpaces();
      const key = this.parseKey();
      if (seen.has(key)) throw this.fail(`parameter "${key}" appears more than once`);
      seen.add(key);
      let value: BareItem = { type: 'boolean', value: true };
      if (this.peek() === '=') {
        this.pos++;
        value = this.parseBareItem();
      }
      params.push([key, value]);
    }
    return params;
  }

  parseBareItem(): BareItem {
    const char = this.peek();
    if (char === undefined) throw this.fail('expected an item');
    if (char === '-' || (char >= '0' && char <= '9')) return this.parseNumber();
    if (char === '"') return this.parseString();
    if (char === ':') return this.parseByteSequence();
    if (char === '?') return this.parseBoolean();
    if (char === '*' || /[A-Za-z]/.test(char)) return this.parseToken();
    throw this.fail('unexpected character');
  }

  private parseNumber(): BareItem {
    const match = /^(-?)(\d+)(?:\.(\d+))?/.exec(this.input.slice(this.pos));
    if (!match) throw this.fail('expected a number');
    const [text, , integerPart = '', fraction] = match;
    if (fraction === undefined) {
      if (integerPart.length > 15) throw this.fail('integer too long');
      this.pos += text.length;
      return { type: 'integer', value: Number(text) + 0 }; // + 0: "-0" reads as 0
    }
    if (integerPart.length > 12 || fraction.length > 3) throw this.fail('decimal too long');
    this.pos += text.length;
    return { type: 'decimal', value: Number(text) + 0 };
  }

  private parseString(): BareItem {
    this.pos++;
    let value = '';
    while (this.pos < this.input.length) {
      const char = this.input[this.pos++]!;
      if (char === '\\') {
        const escaped = this.input[this.pos++];
        if (escaped !== '"' && escaped !== '\\') throw this.fail('invalid escape in string');
        value += escaped;
      } else if (char === '"') {
        return { type: 'string', value };
      } else {
        const code = char.charCodeAt(0);
        if (code < 0x20 || code > 0x7e) throw this.fail('invalid character in string');
        value += char;
      }
    }
    throw this.fail('unterminated string');
  }

  private parseToken(): BareItem {
    const start = this.pos;
    this.pos++;
    while (this.pos < this.input.length && TCHAR.test(this.input[this.pos]!)) this.pos++;
    return { type: 'token', value: this.input.slice(start, this.pos) };
  }

  private parseByteSequence(): BareItem {
    const end = this.input.indexOf(':', this.pos + 1);
    if (end < 0) throw this.fail('unterminated byte sequence');
    const bytes = decodeBase64(this.input.slice(this.pos + 1, end));
    if (!bytes) throw this.fail('invalid base64 in byte sequence');
    this.pos = end + 1;
    return { type: 'binary', value: bytes };
  }

  private parseBoolean(): BareItem {
    const digit = this.input[this.pos + 1];
    if (digit !== '0' && digit !== '1') throw this.fail('invalid boolean');
    this.pos += 2;
    return { type: 'boolean', value: digit === '1' };
  }

  fail(message: string): StructuredFieldError {
    return new StructuredFieldError(`${message} at offset ${this.pos}`);
  }
}
