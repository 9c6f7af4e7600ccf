/**
 * Redaction of a webhook's secret values from what a receiver answered, before the attempt log keeps
 * it: a receiver that echoes its request (headers included) must not put a protected header value or
 * the webhook secret into the attempt log, the API or Redis.
 */

/** What a redacted value reads as. */
export const REDACTED = '[redacted]';

/** Credentials after an auth scheme (`Bearer <token>`) are redacted on their own from this length. */
const MIN_PART_CHARS = 8;
/** A cut-off excerpt ending in the first characters of a value loses them from this many characters. */
const MIN_TAIL_CHARS = 4;

const uEscape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * The forms a value may take in a response body: as sent; JSON-escaped (as JavaScript writes it, with
 * non-ASCII as `\uXXXX` as Python's json.dumps does, and with `<>&` escaped as Go's encoding/json
 * does); URL-encoded.
 */
function formsOf(value: string): string[] {
  const forms = new Set<string>([value]);
  const json = JSON.stringify(value).slice(1, -1);
  forms.add(json);
  forms.add(json.replace(/[\u007f-\uffff]/g, uEscape));
  forms.add(json.replace(/[<>&\u2028\u2029]/g, uEscape));
  forms.add(encodeURIComponent(value));
  forms.add(encodeURIComponent(value).replace(/%20/g, '+'));
  return [...forms];
}

/**
 * The strings to remove from responses for these secret values: each value, its credentials part
 * (after an auth scheme such as `Bearer`, or the base64 of a `whsec_` secret), each in the forms of
 * {@link formsOf}. Longest first, so a value is replaced before a part of it.
 */
export function redactionNeedles(values: readonly string[]): string[] {
  const needles = new Set<string>();
  for (const value of values) {
    if (value.length === 0) continue;
    const parts = [value];
    if (value.startsWith('whsec_') && value.length > 'whsec_'.length) parts.push(value.slice('whsec_'.length));
    for (const part of value.split(/\s+/)) if (part.length >= MIN_PART_CHARS && part !== value) parts.push(part);
    for (const part of parts) for (const form of formsOf(part)) needles.add(form);
  }
  return [...needles].sort((a, b) => b.length - a.length);
}

/**
 * `text` with every occurrence of the needles replaced by {@link REDACTED}, and a tail that is the
 * beginning of a needle (an excerpt cut off in the middle of a value) replaced too.
 */
export function redact(text: string, needles: readonly string[]): string {
  let out = text;
  for (const needle of needles) if (out.includes(needle)) out = out.split(needle).join(REDACTED);
  for (const needle of needles) {
    const longest = Math.min(needle.length - 1, out.length);
    for (let n = longest; n >= Math.min(MIN_TAIL_CHARS, needle.length - 1) && n > 0; n--) {
      if (out.endsWith(needle.slice(0, n))) {
        out = out.slice(0, out.length - n) + REDACTED;
        break;
      }
    }
  }
  return out;
}
