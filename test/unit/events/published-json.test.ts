import { describe, expect, it } from 'vitest';
import {
  MAX_EVENT_DEPTH,
  checkResultText,
  publishedEvent,
  validateEvent,
  validatePublishedEvent,
} from '../../../src/events/index.js';
import { checkEventText, describeInvalidUtf8 } from '../../../src/events/json-text.js';

const FIELDS = '"project":"demo","object_type":"deployment","object_name":"model","version":"v1","request_id":"r-1","status":"completed"';
const event = (members: string) => `{${FIELDS}${members}}`;
const published = (json: string) => validatePublishedEvent(json, JSON.parse(json));
const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

describe('validatePublishedEvent: the result as the producer wrote it', () => {
  it.each([
    ['compact', event(',"result":{"a":[1,2,{"b":"}"}]}'), '{"a":[1,2,{"b":"}"}]}'],
    ['Python separators', event(', "result": {"n": 9223372036854775807, "f": 1.0}'), '{"n": 9223372036854775807, "f": 1.0}'],
    ['first member, spaces and newlines around', `{ "result" :\n [ 1E400 , -0.0 ]\n , ${FIELDS}}`, '[ 1E400 , -0.0 ]'],
    ['quotes, backslashes and brackets in strings', event(',"result":"a\\\\\\"}],[{\\\\"'), '"a\\\\\\"}],[{\\\\"'],
    ['the key written with an escape', event(',"res\\u0075lt":123456789012345678901'), '123456789012345678901'],
    ['a repeated key: the last one, as JSON.parse', event(',"result":1,"result":[2]'), '[2]'],
    ['a key "result" deeper down is not the result', event(',"x":{"result":1},"result":null'), 'null'],
    ['a string', event(',"result":"9007199254740993"'), '"9007199254740993"'],
  ])('%s', async (_name, json, resultJson) => {
    const checked = await published(json);
    expect(checked).toMatchObject({ ok: true, event: { result_json: resultJson } });
    if (checked.ok) expect(checked.event.result).toBeUndefined();
  });

  it('an event without a result has neither result nor result_json', async () => {
    const checked = await published(event(''));
    expect(checked.ok).toBe(true);
    if (checked.ok) expect(JSON.stringify(checked.event)).not.toContain('"result');
  });

  it('finds the exact result text in 2,000 generated events (any layout, any nesting)', async () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const ws = () => [' ', '', '\n', '\t', '  '][Math.floor(random() * 5)]!;
    const strings = ['a', '"}]', '\\', 'x\\"y', '{[', 'é', '\u{1F600}', ''];
    const value = (depth: number): string => {
      const kind = Math.floor(random() * (depth > 6 ? 4 : 6));
      if (kind === 0) return ['true', 'false', 'null'][Math.floor(random() * 3)]!;
      if (kind === 1) return ['9223372036854775807', '-0.5e-3', '12', '1E400'][Math.floor(random() * 4)]!;
      if (kind === 2 || kind === 3) return JSON.stringify(strings[Math.floor(random() * strings.length)]);
      const n = Math.floor(random() * 4);
      const items = Array.from({ length: n }, (_, i) =>
        kind === 4 ? `${ws()}${value(depth + 1)}${ws()}` : `${ws()}${JSON.stringify(`k${i}`)}${ws()}:${ws()}${value(depth + 1)}${ws()}`,
      );
      return kind === 4 ? `[${items.join(',') || ws()}]` : `{${items.join(',') || ws()}}`;
    };
    for (let i = 0; i < 2_000; i++) {
      const result = value(0);
      const members = [`"result"${ws()}:${ws()}${result}`, `"project":"demo"`, `"x":${value(0)}`].sort(() => random() - 0.5);
      const json = `{${ws()}${members.join(`${ws()},${ws()}`)}${ws()}}`;
      const scanned = checkEventText(json, JSON.parse(json));
      expect(scanned, json).toEqual({ ok: true, resultJson: result });
    }
  });
});

describe('events that cannot be delivered as published are refused naming the field and the rule', () => {
  const rule = `must nest at most ${MAX_EVENT_DEPTH} levels of arrays and objects (the event is level 1), got more`;

  it('nesting: the event is level 1; 10,000 levels are refused for their depth, not as "not JSON"', async () => {
    expect(await published(event(`,"result":${nested(MAX_EVENT_DEPTH - 1)}`))).toMatchObject({ ok: true });
    expect(await published(event(`,"result":${nested(MAX_EVENT_DEPTH)}`))).toEqual({ ok: false, error: `result: ${rule}` });
    expect(await published(event(`,"result":${nested(10_000)}`))).toEqual({ ok: false, error: `result: ${rule}` });
    expect(await published(event(`,"extra":${nested(10_000)}`))).toEqual({ ok: false, error: `extra: ${rule}` });
    // The same from a Node producer: a value 10,000 levels deep (JSON.stringify itself would overflow).
    let deep: unknown = [];
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(validateEvent({ ...JSON.parse(event('')), result: deep })).toEqual({ ok: false, error: `result: ${rule}` });
    let atLimit: unknown = [];
    for (let i = 0; i < MAX_EVENT_DEPTH - 2; i++) atLimit = [atLimit];
    expect(validateEvent({ ...JSON.parse(event('')), result: atLimit })).toMatchObject({ ok: true });
  });

  it.each([
    ['a string in the result', ',"result":{"files":["ok","caf\\udce9.txt"]}', 'result.files[1]: must be valid Unicode, got a lone surrogate \\udce9'],
    ['a high surrogate alone', ',"result":"\\ud83d!"', 'result: must be valid Unicode, got a lone surrogate \\ud83d'],
    ['a low surrogate first', ',"result":"\\ude00\\ud83d"', 'result: must be valid Unicode, got a lone surrogate \\ude00'],
    ['a key', ',"result":{"caf\\udce9":1}', 'result["caf\\udce9"]: a key must be valid Unicode, got a lone surrogate \\udce9'],
    ['a top-level field', ',"error_message":"\\udc80"', 'error_message: must be valid Unicode, got a lone surrogate \\udc80'],
  ])('a lone surrogate: %s', async (_name, members, error) => {
    expect(await published(event(members))).toEqual({ ok: false, error });
    // A Node producer is told the same before it publishes.
    expect(validateEvent(JSON.parse(event(members)))).toEqual({ ok: false, error });
  });

  it('surrogate pairs, and text that only looks like an escape, are fine', async () => {
    expect(await published(event(',"result":"\\ud83d\\ude00 \\uD83D\\uDE00"'))).toMatchObject({ ok: true });
    expect(await published(event(',"result":"\\\\ud800 is six characters"'))).toMatchObject({
      ok: true,
      event: { result_json: '"\\\\ud800 is six characters"' },
    });
  });

  it('bytes that are not UTF-8: the field, the byte and where (only when the text holds U+FFFD)', async () => {
    const check = (bytes: Buffer) => {
      const text = bytes.toString('utf8');
      return validatePublishedEvent(text, JSON.parse(text), { readBytes: async () => bytes });
    };
    const json = event(',"result":{"files":["caf\u00e9"]}');
    const latin1 = Buffer.from(json, 'latin1');
    expect(await check(latin1)).toEqual({
      ok: false,
      error: `result.files[0]: must be valid UTF-8, got the byte 0xe9 at byte ${json.indexOf('\u00e9')} of the job data`,
    });
    const before = Buffer.from(event(',"result":"'), 'utf8');
    const cases: Array<[string, number[]]> = [
      ['a truncated sequence', [0xe2, 0x82]],
      ['an overlong NUL', [0xc0, 0x80]],
      ['a CESU-8 surrogate', [0xed, 0xa0, 0x80]],
      ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ];
    for (const [name, bad] of cases) {
      const bytes = Buffer.concat([before, Buffer.from(bad), Buffer.from('"}')]);
      expect(await check(bytes), name).toEqual({
        ok: false,
        error: `result: must be valid UTF-8, got the byte 0x${bad[0]!.toString(16)} at byte ${before.length} of the job data`,
      });
    }
    // U+FFFD written by the producer is a character like any other.
    const replacement = Buffer.from(event(',"result":"\ufffd"'), 'utf8');
    expect(await check(replacement)).toMatchObject({ ok: true, event: { result_json: '"\ufffd"' } });
    // Bad bytes in a key are named by the object that holds it.
    const inKey = Buffer.from(event(',"result":{"k\u00e9y":1}'), 'latin1');
    expect(describeInvalidUtf8(inKey, inKey.toString('utf8'))).toMatch(/^result \(in a key\): must be valid UTF-8, got the byte 0xe9 at byte \d+/);
  });

  it('size is counted in UTF-8 bytes of the text as published', async () => {
    const json = event(`,"result":"${'é'.repeat(600)}"`);
    expect(await validatePublishedEvent(json, JSON.parse(json), { maxBytes: 1_000 })).toEqual({
      ok: false,
      error: `event: is ${Buffer.byteLength(json)} bytes of JSON, more than the limit of 1000`,
    });
  });
});

describe('checkResultText (a result carried as text by a deliveries job)', () => {
  it.each([
    [42, 'result_json: must be a string of JSON'],
    ['{"a":', 'result_json: is not JSON'],
    [nested(MAX_EVENT_DEPTH), `result: must nest at most ${MAX_EVENT_DEPTH} levels of arrays and objects (the event is level 1), got more`],
    ['["\\udce9"]', 'result[0]: must be valid Unicode, got a lone surrogate \\udce9'],
  ])('refuses %j', (text, error) => {
    expect(checkResultText(text)).toBe(error);
  });

  it('accepts JSON within the rules', () => {
    expect(checkResultText('{"n": 9223372036854775807}')).toBeUndefined();
    expect(checkResultText(nested(MAX_EVENT_DEPTH - 1))).toBeUndefined();
  });
});

describe('publishedEvent (the API view)', () => {
  it('reads result_json back into result', async () => {
    const checked = await published(event(',"result":{"a":[1]}'));
    if (!checked.ok) throw new Error(checked.error);
    expect(publishedEvent(checked.event)).toEqual({ ...JSON.parse(event('')), is_default_version: false, result: { a: [1] } });
  });
});
