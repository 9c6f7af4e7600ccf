/**
 * The parts of RFC 8941 (Structured Field Values for HTTP) that HTTP Message Signatures need:
 * Dictionary parsing (§4.2.2) with Items, Inner Lists and Parameters, and their serialization (§4.1).
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

/** Serializes an Inner List with its parameters (RFC 8941 §4.1.1.1). */
export function serializeInnerList(list: InnerList): string {
  let out = '(';
  for (let i = 0; i < list.items.length; i++) {
    if (i > 0) out += ' ';
    const item = list.items[i]!;
    out += serializeBareItem(item.value) + serializeParameters(item.params);
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

function serializeDecimal(value: number): string {
  const rounded = Math.round(value * 1000) / 1000;
  if (!Number.isFinite(rounded) || Math.abs(Math.trunc(rounded)) > 999_999_999_999) {
    throw new StructuredFieldError(`decimal out of range: ${value}`);
  }
  const text = String(rounded);
  return text.includes('.') ? text : `${text}.0`;
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
      return { type: 'integer', value: Number(text) };
    }
    if (integerPart.length > 12 || fraction.length > 3) throw this.fail('decimal too long');
    this.pos += text.length;
    return { type: 'decimal', value: Number(text) };
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

  private fail(message: string): StructuredFieldError {
    return new StructuredFieldError(`${message} at offset ${this.pos}`);
  }
}
