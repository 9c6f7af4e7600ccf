/**
 * What the CLI prints of text that receivers and the API control: no terminal escape sequence gets
 * through (window title, clear screen, OSC 52 clipboard writes, C1 CSI, bidi overrides), and JSON
 * output stays JSON of the same strings. And when a token would cross the network unencrypted.
 */
import { describe, expect, it } from 'vitest';
import { isLoopbackHost, plainHttpTokenWarning } from '../../../src/cli/client.js';
import { jsonLine, printable } from '../../../src/cli/terminal.js';

const HOSTILE = 'ok\u001b]0;pwned\u0007\u001b[2J\u001b]52;c;ZXZpbA==\u0007\u009b31m\u202eevil\r\nfake line\u007f';

describe('printable', () => {
  it('writes every control character out visibly', () => {
    const shown = printable(HOSTILE);
    expect(shown).toBe('ok\\x1b]0;pwned\\x07\\x1b[2J\\x1b]52;c;ZXZpbA==\\x07\\x9b31m\\u202eevil\\x0d\\x0afake line\\x7f');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
    expect(shown).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  });

  it('leaves ordinary text, accents and emoji alone', () => {
    expect(printable('café 200 ✓ — "quoted" \\ back')).toBe('café 200 ✓ — "quoted" \\ back');
  });
});

describe('jsonLine', () => {
  it('is JSON of the same value, with no raw control character on the line', () => {
    const line = jsonLine({ response_excerpt: HOSTILE });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
    expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(JSON.parse(line)).toEqual({ response_excerpt: HOSTILE });
  });
});

describe('a token over plain http', () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', 'api.localhost', '[::1]', '[::ffff:127.0.0.1]'])('%s is loopback: no warning', (host) => {
    expect(isLoopbackHost(new URL(`http://${host}:8080`).hostname)).toBe(true);
    expect(plainHttpTokenWarning(new URL(`http://${host}:8080`), 'from --url')).toBeUndefined();
  });

  it.each(['hookpost.example.com', '10.0.0.5', '0.0.0.0', '[fe80::1]', '[::ffff:10.0.0.1]', '128.0.0.1'])('http://%s warns, naming the host and where the URL came from', (host) => {
    const url = new URL(`http://${host}:8080`);
    expect(isLoopbackHost(url.hostname)).toBe(false);
    expect(plainHttpTokenWarning(url, 'from HOOKPOST_URL')).toBe(
      `warning: the API token goes over plain http to ${url.host}, unencrypted: anyone on the way can read and reuse it; use an https:// URL (from HOOKPOST_URL)`,
    );
  });

  it('https never warns', () => {
    expect(plainHttpTokenWarning(new URL('https://hookpost.example.com'), 'from --url')).toBeUndefined();
  });
});
