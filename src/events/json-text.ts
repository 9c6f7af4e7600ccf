/**
 * An event's JSON as its producer wrote it. JSON.parse and JSON.stringify change what some producers
 * publish (an integer above 2^53 loses digits, `1e400` becomes null), so the worker keeps `result` as
 * the exact text the producer wrote and the payload splices that text in. What cannot be delivered
 * faithfully is refused naming the field and the rule: text that is not UTF-8, strings that are not
 * valid Unicode (a lone surrogate, as Python's `surrogateescape` makes), and nesting deeper than
 * {@link MAX_EVENT_DEPTH} levels.
 *
 * The scanner here is not a parser: it runs on text JSON.parse has already accepted, and only finds the
 * top-level members and the nesting depth, so it costs a fraction of the parse.
 */
import { isUtf8 } from 'node:buffer';

/**
 * The deepest nesting of arrays and objects an event may have, the event object itself being level 1
 * (so `result` may nest 63 levels). The payload puts `result` at the same depth, and 64 is the default
 * limit of common receivers' JSON parsers (.NET's System.Text.Json); Python's and Ruby's defaults
 * lie above it.
 */
export const MAX_EVENT_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

const DEPTH_RULE = `must nest at most ${MAX_EVENT_DEPTH} levels of arrays and objects (the event is level 1), got more`;
/** A `\uD800`-`\uDFFF` escape (maybe itself escaped, `\\uD800`, which is plain text). */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export type TextCheck = { readonly ok: true; readonly resultJson: string | undefined } | { readonly ok: false; readonly error: string };

/**
 * Checks the JSON text of an event (which JSON.parse accepted as `data`) and finds its `result`: the
 * exact text of the top-level `result` member's value (the last one, as JSON.parse keeps), or
 * undefined without one. Refuses nesting deeper than {@link MAX_EVENT_DEPTH} and lone surrogates.
 */
export function checkEventText(json: string, data: unknown): TextCheck {
  const n = json.length;
  let depth = 0;
  let key: string | undefined;
  let expectKey = false;
  let valueStart = 0;
  let resultJson: string | undefined;
  let i = 0;
  while (i < n) {
    const c = json.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(json, i);
      if (depth === 1 && expectKey) {
        key = keyText(json, i, end);
        expectKey = false;
      }
      i = end;
      continue;
    }
    if (c === LBRACE || c === LBRACKET) {
      depth++;
      if (depth > MAX_EVENT_DEPTH) return { ok: false, error: `${key ?? 'event'}: ${DEPTH_RULE}` };
      if (depth === 1) expectKey = c === LBRACE;
    } else if (c === RBRACE || c === RBRACKET) {
      if (depth === 1 && key === 'result') resultJson = json.slice(valueStart, i).trim();
      depth--;
    } else if (depth === 1) {
      if (c === COLON) valueStart = i + 1;
      else if (c === COMMA) {
        if (key === 'result') resultJson = json.slice(valueStart, i).trim();
        expectKey = true;
      }
    }
    i++;
  }
  if (hasLoneSurrogateEscape(json)) {
    // Name the field: walk what JSON.parse made of it (only for events that are refused).
    const problem = findJsonProblem(data);
    if (problem !== undefined) return { ok: false, error: problem };
  }
  return { ok: true, resultJson };
}

/**
 * True when a string of the JSON text holds an escaped surrogate that is not half of a pair
 * (`\ud83d\ude00` is one character, as Python's `json.dumps` writes every emoji; `\udce9` alone is
 * not). Looks at the escapes only, so an event full of escaped emoji costs a regex pass.
 */
function hasLoneSurrogateEscape(json: string): boolean {
  SURROGATE_ESCAPE.lastIndex = 0;
  let pairedUpTo = -1;
  for (let m = SURROGATE_ESCAPE.exec(json); m !== null; m = SURROGATE_ESCAPE.exec(json)) {
    const at = m.index;
    let backslashes = 0;
    for (let k = at - 1; json.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if ((backslashes & 1) === 1) continue; // "\\udce9": a backslash, then the text "udce9"
    if (at < pairedUpTo) continue; // the low half of a pair already seen
    const unit = Number.parseInt(m[0].slice(2), 16);
    if (unit >= 0xdc00) return true; // a low surrogate first
    const next = json.slice(at + 6, at + 12);
    const low = next.length === 6 && next[0] === '\\' && next[1] === 'u' ? Number.parseInt(next.slice(2), 16) : Number.NaN;
    if (!(low >= 0xdc00 && low <= 0xdfff)) return true;
    pairedUpTo = at + 12;
  }
  return false;
}

/**
 * Checks `result` JSON text carried by a deliveries job (any BullMQ client can write one): it must be
 * JSON and keep the rules of an event's result. Returns the error, or undefined when it is fine.
 */
export function checkResultText(json: unknown): string | undefined {
  if (typeof json !== 'string') return 'result_json: must be a string of JSON';
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return 'result_json: is not JSON';
  }
  // As the `result` member of an event: `{"result":<json>}` has the event's depth. A lone surrogate
  // may be a character of this text itself (it came out of JSON.parse): the walk sees it either way.
  const checked = checkEventText(`{"result":${json}}`, { result: value });
  if (!checked.ok) return checked.error;
  return LONE_SURROGATE.test(json) ? findJsonProblem({ result: value }) : undefined;
}

/**
 * Why a value cannot be written as an event's JSON faithfully (a path and a rule), or undefined: a
 * lone surrogate in a string or key, nesting deeper than {@link MAX_EVENT_DEPTH}, a BigInt, a cycle.
 * Walks at most {@link MAX_EVENT_DEPTH} levels, so any input is safe.
 */
export function findJsonProblem(data: unknown): string | undefined {
  const path: Array<string | number> = [];
  const ancestors: object[] = [];
  const walk = (value: unknown): string | undefined => {
    if (typeof value === 'string') {
      const lone = LONE_SURROGATE.exec(value);
      return lone ? `${formatPath(path)}: must be valid Unicode, got a lone surrogate ${escapeUnit(lone[0])}` : undefined;
    }
    if (typeof value === 'bigint') return `${formatPath(path)}: is a BigInt, which JSON cannot hold (send its digits as a string)`;
    if (value === null || typeof value !== 'object') return undefined;
    if (ancestors.includes(value)) return `${formatPath(path)}: is not JSON (it contains itself)`;
    if (ancestors.length + 1 > MAX_EVENT_DEPTH) return `${path.length > 0 ? String(path[0]) : 'event'}: ${DEPTH_RULE}`;
    ancestors.push(value);
    try {
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          path.push(i);
          const problem = walk(value[i]);
          path.pop();
          if (problem !== undefined) return problem;
        }
        return undefined;
      }
      for (const [key, child] of Object.entries(value)) {
        const lone = LONE_SURROGATE.exec(key);
        if (lone) {
          path.push(key);
          const where = formatPath(path);
          path.pop();
          return `${where}: a key must be valid Unicode, got a lone surrogate ${escapeUnit(lone[0])}`;
        }
        path.push(key);
        const problem = walk(child);
        path.pop();
        if (problem !== undefined) return problem;
      }
      return undefined;
    } finally {
      ancestors.pop();
    }
  };
  return walk(data);
}

/**
 * When `bytes` (the job data as stored) are not UTF-8: the field holding the first bad byte, the byte
 * and its offset. `text` is the same data as the Redis client decoded it (bad bytes became U+FFFD).
 */
export function describeInvalidUtf8(bytes: Uint8Array, text: string): string | undefined {
  if (isUtf8(bytes)) return undefined;
  const offset = firstInvalidUtf8(bytes);
  const before = Buffer.from(bytes.buffer, bytes.byteOffset, offset).toString('utf8');
  const byte = bytes[offset] ?? 0;
  return `${pathAt(text, before.length)}: must be valid UTF-8, got the byte 0x${byte.toString(16).padStart(2, '0')} at byte ${offset} of the job data`;
}

/** The offset of the first byte that does not start a valid UTF-8 sequence (bytes.length when none). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const length = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0 || i + length > bytes.length) return i;
    if (!isUtf8(bytes.subarray(i, i + length))) return i;
    i += length;
  }
  return i;
}

/** The path of the string (value or key) that holds character `offset` of the JSON `text`. */
function pathAt(text: string, offset: number): string {
  const stack: Array<{ array: boolean; key: string | number; expectKey: boolean }> = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      const top = stack[stack.length - 1];
      const isKey = top !== undefined && !top.array && top.expectKey;
      if (offset < end) {
        const where = formatPath(stack.slice(0, isKey ? -1 : undefined).map((f) => f.key));
        return isKey ? `${where} (in a key)` : where;
      }
      if (top && isKey) {
        top.key = keyText(text, i, end);
        top.expectKey = false;
      }
      i = end;
      continue;
    }
    if (c === LBRACE || c === LBRACKET) stack.push({ array: c === LBRACKET, key: c === LBRACKET ? 0 : '', expectKey: c === LBRACE });
    else if (c === RBRACE || c === RBRACKET) stack.pop();
    else if (c === COMMA) {
      const top = stack[stack.length - 1];
      if (top?.array) top.key = (top.key as number) + 1;
      else if (top) top.expectKey = true;
    }
    i++;
  }
  return 'event';
}

/** `result.files[2]`, `result["a key"]`; the event itself is `event`. */
function formatPath(path: ReadonlyArray<string | number>): string {
  if (path.length === 0) return 'event';
  let out = String(path[0]);
  for (const part of path.slice(1)) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += IDENTIFIER.test(part) ? `.${part}` : `[${JSON.stringify(part)}]`;
  }
  return out;
}

function escapeUnit(unit: string): string {
  return `\\u${unit.charCodeAt(0).toString(16)}`;
}

/** The index just past the closing quote of the string that opens at `start`. */
function stringEnd(text: string, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return text.length;
    let backslashes = 0;
    for (let k = quote - 1; text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if ((backslashes & 1) === 0) return quote + 1;
    from = quote + 1;
  }
}

/** A member name as JSON.parse reads it (escapes decoded). */
function keyText(text: string, start: number, end: number): string {
  const inner = text.slice(start + 1, end - 1);
  return inner.includes('\\') ? (JSON.parse(text.slice(start, end)) as string) : inner;
}
