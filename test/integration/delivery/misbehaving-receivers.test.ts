/**
 * Receivers that do not answer HTTP, or answer it oddly, on raw `net` servers on loopback: every
 * attempt gets a code from the closed table (src/outcomes.ts, docs/errors.md) and a message that
 * says what the receiver did, without library internals.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createDeliveryClient, type AttemptOutcome } from '../../../src/delivery/index.js';
import { isAttemptCode } from '../../../src/outcomes.js';

const client = createDeliveryClient({ allowHttp: true, allowPrivateTargets: true });
const servers: Server[] = [];
afterAll(async () => {
  await client.close({ force: true });
  for (const server of servers) server.close();
});

/** A raw TCP server: `onSocket` gets every connection (errors ignored: the client may reset). */
async function rawServer(onSocket: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    onSocket(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Answers the first bytes of the request with `answer`, then closes. */
const answering = (answer: string | Buffer) =>
  rawServer((socket) =>
    socket.once('data', () => {
      socket.end(answer);
    }),
  );

const attempt = (origin: string, timeoutMs = 5_000): Promise<AttemptOutcome> =>
  client.deliverOnce({ origin, path: '/hook', headers: { 'content-type': 'application/json' }, body: Buffer.from('{}'), timeoutMs });

const expectTrueRecord = (outcome: AttemptOutcome) => {
  expect(isAttemptCode(outcome.errorCode)).toBe(true);
  expect(outcome.errorCode).not.toBe('undefined');
  expect(outcome.message).not.toMatch(/undefined/);
};

describe('a receiver that does not answer HTTP', () => {
  it.each([
    ['a status line without a number', 'HTTP/1.1 abc\r\n\r\n', 'no valid status code in the status line'],
    ['a bare body without a status line', 'just some text, no status line\n', 'no status line'],
    ['binary junk', Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe, 0x80, 0x0a, 0x0d, 0x0a]), 'no status line'],
  ])('%s is INVALID_RESPONSE, never "undefined"', async (_name, answer, reason) => {
    const port = await answering(answer);
    const outcome = await attempt(`http://127.0.0.1:${port}`);
    expectTrueRecord(outcome);
    expect(outcome).toMatchObject({ kind: 'failed', errorCode: 'INVALID_RESPONSE' });
    expect(outcome.message).toBe(`Invalid response: the receiver's answer is not HTTP/1.1 (${reason})`);
  });

  it.each([
    ['100 Continue', 'HTTP/1.1 100 Continue\r\n\r\n', /answered 100 Continue/],
    ['101 Switching Protocols', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n', /answered 101 Switching Protocols/],
  ])('an unasked-for %s is described as such, not as "closed without a response"', async (_name, answer, says) => {
    const port = await answering(answer);
    const outcome = await attempt(`http://127.0.0.1:${port}`);
    expectTrueRecord(outcome);
    expect(outcome.errorCode).toBe('INVALID_RESPONSE');
    expect(outcome.message).toMatch(says);
    expect(outcome.message).not.toMatch(/without a response/);
  });

  it('an interim 103 and then a closed connection says the receiver answered 103 and no final status', async () => {
    const port = await answering('HTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n');
    const outcome = await attempt(`http://127.0.0.1:${port}`);
    expectTrueRecord(outcome);
    expect(outcome).toMatchObject({ errorCode: 'SOCKET_CLOSED', message: 'Connection closed after an interim HTTP 103, without a final response' });
  });

  it('https to a plain-HTTP server says so, without OpenSSL source paths', async () => {
    const port = await answering('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    const outcome = await attempt(`https://127.0.0.1:${port}`);
    expectTrueRecord(outcome);
    expect(outcome.errorCode).toBe('TLS');
    expect(outcome.message).toBe('TLS handshake failed: the receiver did not answer with TLS (a plain-HTTP server on an https URL?)');
    expect(outcome.message).not.toMatch(/deps\/openssl|\.c:\d+|SSL routines|error:0A/);
  });
});

describe('the stored excerpt', () => {
  it('is capped to 1 KiB after decoding: 1,023 invalid bytes do not store 3,069', async () => {
    const invalid = Buffer.alloc(1_023, 0xff);
    const head = `HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: ${invalid.length}\r\n\r\n`;
    const port = await answering(Buffer.concat([Buffer.from(head), invalid]));
    const outcome = await attempt(`http://127.0.0.1:${port}`);
    expect(outcome).toMatchObject({ kind: 'failed', errorCode: 'HTTP_500' });
    const stored = Buffer.byteLength(outcome.responseExcerpt ?? '');
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThanOrEqual(1_024);
    expect(outcome.responseExcerpt).toBe('\ufffd'.repeat(341));
  });
});

describe('a connection still in the TLS handshake at the deadline', () => {
  it('is closed at the deadline, not at the connect backstop (~60 s)', async () => {
    let serverSawClose = false;
    let accepted = 0;
    // Accepts TCP, reads the ClientHello, never answers it.
    const port = await rawServer((socket) => {
      accepted += 1;
      socket.resume();
      socket.on('close', () => {
        serverSawClose = true;
      });
    });
    const timeoutMs = 1_000;
    const outcome = await attempt(`https://127.0.0.1:${port}`, timeoutMs);
    expect(outcome).toMatchObject({ kind: 'failed', errorCode: 'TIMEOUT', message: 'Timed out after 1 s' });
    expect(accepted).toBe(1);
    // Generous: well under the 60 s backstop, far above the deadline.
    const until = Date.now() + timeoutMs + 10_000;
    while (!serverSawClose && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(serverSawClose).toBe(true);
  });
});
