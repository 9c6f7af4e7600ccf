import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';

function capture() {
  let text = '';
  const destination = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { logger: createLogger({ destination, level: 'info' }), text: () => text };
}

describe('logger', () => {
  it('writes JSON lines with fields first and a constant message', () => {
    const { logger, text } = capture();
    logger.info({ deliveryId: 'd-1', status: 204 }, 'delivery attempted');
    expect(JSON.parse(text())).toMatchObject({ deliveryId: 'd-1', status: 204, msg: 'delivery attempted', level: 30 });
  });

  it.each([
    [{ headers: [{ key: 'Authorization', value: 'Token hunter2', protected: true }] }],
    [{ webhook: { headers: [{ key: 'X-Secret', value: 'hunter2' }] } }],
    [{ input: { headers: [{ key: 'X-Secret', value: 'hunter2' }] } }],
    [{ req: { headers: { authorization: 'Token hunter2' } } }],
    [{ authorization: 'Token hunter2' }],
    [{ token: 'hunter2' }],
    [{ apiTokens: ['hunter2'] }],
    [{ config: { apiTokens: ['hunter2'] } }],
    [{ privateKey: 'hunter2' }],
  ])('redacts secrets in %j', (fields) => {
    const { logger, text } = capture();
    logger.info(fields, 'something happened');
    expect(text()).not.toContain('hunter2');
    expect(text()).toContain('[redacted]');
  });
});
