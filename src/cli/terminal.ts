/**
 * What the CLI prints of text others control (receivers' answers, error messages, names): a
 * receiver's response excerpt could otherwise set the terminal's title, clear the screen or write
 * the clipboard (OSC 52) of whoever runs `hookpost deliveries`.
 */

/**
 * C0 controls (tab, line feed and carriage return included: one record is one line), DEL, C1
 * controls (U+009B is a one-byte CSI on some terminals) and the bidirectional overrides and isolates
 * that reorder what a line shows.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const escapeOf = (c: string) => {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** `text` with every control character written out visibly (`\x1b`, `\x07`, `\u202e`). */
export function printable(text: string): string {
  return text.replace(UNSAFE, escapeOf);
}

/**
 * A JSON line safe for a terminal: JSON.stringify escapes C0 controls but leaves DEL, C1 and the
 * bidi controls as they are; they are written as `\uXXXX` escapes (the same string to a JSON parser).
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
