/**
 * A receiver that does not answer HTTP (a raw `net` server on loopback) is recorded with its own
 * attempt code, INVALID_RESPONSE, in the attempt log, on the worker's log line and in the dead
 * letter: never "undefined" (undici's parse errors carry no code).
 */
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventually, requestEvent } from '../../helpers/engine.js';
import { useStack } from '../../helpers/app.js';

const P = '/v2.1/projects/demo';

describe('a receiver answering garbage, end to end', () => {
  const { defer, stack } = useStack();

  it('is INVALID_RESPONSE in the attempt log, the log line and the dead letter', async () => {
    const server = createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => socket.end('HTTP/1.1 abc\r\n\r\n'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const s = await stack();
    await s.t.createWebhook({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/in` });
    const event = requestEvent();
    await s.t.publishSettled(event);

    const item = await eventually(
      async () => {
        const { json } = await s.call('GET', `${P}/deliveries?request_id=${String(event['request_id'])}`);
        return json.items?.[0]?.outcome === 'failed' ? json.items[0] : undefined;
      },
      30_000,
      'the delivery to fail',
    );
    const message = "Invalid response: the receiver's answer is not HTTP/1.1 (no valid status code in the status line)";
    expect(item).toMatchObject({ error_code: 'INVALID_RESPONSE', error_message: message });
    const line = s.t.logs.find((l) => l.msg === 'delivery attempted');
    expect(line).toMatchObject({ errorCode: 'INVALID_RESPONSE' });
    const letters = await s.t.services.deadLetters.list('demo');
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ errorCode: 'INVALID_RESPONSE', errorMessage: message });
    expect(JSON.stringify([item, line, letters])).not.toMatch(/undefined/);
  });
});
