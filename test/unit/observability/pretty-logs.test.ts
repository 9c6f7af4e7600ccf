import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, formatLogLine } from '../../../src/observability/logger.js';

function capture(colors = false) {
  let text = '';
  const destination = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { logger: createLogger({ destination, level: 'info', format: 'pretty', colors }), text: () => text };
}

describe('readable log lines (local mode on a terminal)', () => {
  it('formats a pino JSON line as time, level, message and fields', () => {
    const line = JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 5, 10, 31, 0, 123), pid: 7, name: 'hookpost-local', msg: 'delivery attempted', deliveryId: 'd-1', status: 204, note: 'two words' });
    expect(formatLogLine(line)).toBe('10:31:00.123 INFO  delivery attempted  deliveryId=d-1 status=204 note="two words"');
  });

  it('shows an error with its code and stack indented, and leaves non-JSON text alone', () => {
    const line = JSON.stringify({ level: 50, time: 0, msg: 'request failed', err: { code: 'E_X', message: 'boom', stack: 'Error: boom\n    at f (x.js:1:1)' } });
    expect(formatLogLine(line)).toBe('00:00:00.000 ERROR request failed\n    E_X: Error: boom\n        at f (x.js:1:1)');
    expect(formatLogLine('not json')).toBe('not json');
  });

  it('is what createLogger writes with format pretty, redaction included, one line per entry', () => {
    const { logger, text } = capture();
    logger.info({ webhookId: 'w-1', token: 'hunter2' }, 'webhook created');
    logger.warn('careful');
    const lines = text().trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}webhook created {2}webhookId=w-1 token=\[redacted\]$/);
    expect(lines[1]).toMatch(/ WARN {2}careful$/);
    expect(text()).not.toContain('hunter2');
    expect(text()).not.toContain('{');
  });

  it('colours the level only when asked', () => {
    const { logger, text } = capture(true);
    logger.error('bad');
    expect(text()).toContain('\u001b[31mERROR\u001b[0m');
    const plain = capture(false);
    plain.logger.error('bad');
    expect(plain.text()).not.toContain('\u001b[');
  });

  it('stays JSON by default', () => {
    let text = '';
    const destination = new Writable({
      write(chunk, _enc, done) {
        text += chunk.toString();
        done();
      },
    });
    createLogger({ destination }).info({ a: 1 }, 'x');
    expect(JSON.parse(text)).toMatchObject({ a: 1, msg: 'x' });
  });
});
