import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDeliveryClient, type DeliveryClient, type DeliveryRequest } from '../../../src/delivery/index.js';
import { freePort, type Receiver, startReceiver } from '../../helpers/index.js';

const body = Buffer.from('{"event":"deployment_request_completed","text":"é"}');

const request = (origin: string, over: Partial<DeliveryRequest> = {}): DeliveryRequest => ({
  origin,
  path: '/hook?x=1',
  headers: { 'content-type': 'application/json', 'hookpost-delivery-id': 'd-1', 'x-custom': 'v' },
  body,
  timeoutMs: 5_000,
  ...over,
});

/** A plain node:http server for cases the shared receiver cannot script (connection counts, bodies). */
async function startServer(handler: Parameters<typeof createServer>[1]): Promise<{ origin: string; server: Server; connections: () => number }> {
  let connections = 0;
  const server = createServer(handler);
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { origin: `http://127.0.0.1:${port}`, server, connections: () => connections };
}

const stop = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

describe('delivery client against real receivers (private targets allowed)', () => {
  let client: DeliveryClient;
  let receiver: Receiver;

  beforeAll(() => {
    client = createDeliveryClient({ allowHttp: true, allowPrivateTargets: true, maxResponseBytes: 1_024 });
  });
  afterAll(async () => {
    await client.close();
  });
  afterEach(async () => {
    await receiver?.close();
  });

  it.each([200, 204])('HTTP %i is delivered; body, headers and Content-Length arrive as sent', async (status) => {
    receiver = await startReceiver(() => ({ status }));
    const outcome = await client.deliverOnce(request(receiver.url));
    expect(outcome).toMatchObject({ kind: 'delivered', status, errorCode: `HTTP_${status}`, message: `Received HTTP ${status}` });
    expect(outcome.durationMs).toBeGreaterThan(0);
    const [received] = await receiver.waitForRequests(1);
    expect(received?.method).toBe('POST');
    expect(received?.path).toBe('/hook?x=1');
    expect(received?.body.equals(body)).toBe(true);
    expect(received?.headers['content-length']).toBe(String(body.length));
    expect(received?.headers['transfer-encoding']).toBeUndefined();
    expect(received?.headers['x-custom']).toBe('v');
    expect(received?.headers['hookpost-delivery-id']).toBe('d-1');
    expect(received?.headers.host).toBe(new URL(receiver.url).host);
  });

  it('does not let callers override framing or Host headers', async () => {
    receiver = await startReceiver(() => ({ status: 200 }));
    const headers = { host: 'evil.example', 'content-length': '1', 'transfer-encoding': 'chunked', 'x-ok': '1' };
    const outcome = await client.deliverOnce(request(receiver.url, { headers }));
    expect(outcome.kind).toBe('delivered');
    const [received] = await receiver.waitForRequests(1);
    expect(received?.headers.host).toBe(new URL(receiver.url).host);
    expect(received?.headers['content-length']).toBe(String(body.length));
    expect(received?.headers['transfer-encoding']).toBeUndefined();
  });

  it('treats a 302 as success and does not follow it', async () => {
    receiver = await startReceiver((req) => (req.path.startsWith('/target') ? { status: 200 } : { status: 302, headers: { location: '/target' } }));
    const outcome = await client.deliverOnce(request(receiver.url));
    expect(outcome).toMatchObject({ kind: 'delivered', status: 302 });
    await new Promise((r) => setTimeout(r, 100));
    expect(receiver.requests.map((r) => r.path)).toEqual(['/hook?x=1']);
  });

  it('fails on HTTP 500', async () => {
    receiver = await startReceiver(() => ({ status: 500, body: 'boom' }));
    const outcome = await client.deliverOnce(request(receiver.url));
    expect(outcome).toMatchObject({ kind: 'failed', status: 500, errorCode: 'HTTP_500', message: 'Received HTTP 500' });
    expect(outcome.retryAfterMs).toBeUndefined();
  });

  it('reads Retry-After in seconds on 429 and as an HTTP-date on 503', async () => {
    receiver = await startReceiver((_req, n) =>
      n === 0
        ? { status: 429, headers: { 'retry-after': '120' } }
        : { status: 503, headers: { 'retry-after': new Date(Date.now() + 60_000).toUTCString() } },
    );
    const first = await client.deliverOnce(request(receiver.url));
    expect(first).toMatchObject({ kind: 'failed', status: 429, retryAfterMs: 120_000 });
    const second = await client.deliverOnce(request(receiver.url));
    expect(second).toMatchObject({ kind: 'failed', status: 503 });
    expect(second.retryAfterMs).toBeGreaterThan(55_000);
    expect(second.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('ignores Retry-After on other statuses', async () => {
    receiver = await startReceiver(() => ({ status: 500, headers: { 'retry-after': '5' } }));
    expect((await client.deliverOnce(request(receiver.url))).retryAfterMs).toBeUndefined();
  });

  it('ends the attempt near timeoutMs when the receiver is slow', async () => {
    receiver = await startReceiver(() => ({ status: 200, delayMs: 3_000 }));
    const outcome = await client.deliverOnce(request(receiver.url, { timeoutMs: 300 }));
    expect(outcome).toMatchObject({ kind: 'failed', errorCode: 'TIMEOUT', message: 'Timed out after 300 ms' });
    expect(outcome.status).toBeUndefined();
    expect(outcome.durationMs).toBeGreaterThanOrEqual(295);
    expect(outcome.durationMs).toBeLessThan(1_000);
  });

  it('says the timeout in seconds when it is whole seconds', async () => {
    receiver = await startReceiver(() => ({ status: 200, delayMs: 3_000 }));
    const outcome = await client.deliverOnce(request(receiver.url, { timeoutMs: 1_000 }));
    expect(outcome.message).toBe('Timed out after 1 s');
  });

  it('reports a refused connection', async () => {
    receiver = await startReceiver();
    const port = await freePort();
    const outcome = await client.deliverOnce(request(`http://127.0.0.1:${port}`));
    expect(outcome).toMatchObject({ kind: 'failed', errorCode: 'ECONNREFUSED', message: 'Connection refused' });
  });

  it('reports a connection closed without a response', async () => {
    receiver = await startReceiver(() => ({ destroy: true }));
    const outcome = await client.deliverOnce(request(receiver.url));
    expect(outcome).toMatchObject({ kind: 'failed', errorCode: 'SOCKET_CLOSED', message: 'Connection closed without a response' });
  });

  it('reports a host that does not resolve', async () => {
    receiver = await startReceiver();
    const outcome = await client.deliverOnce(request('http://hookpost-test.invalid'));
    expect(outcome).toMatchObject({ kind: 'failed', errorCode: 'DNS', message: 'Could not resolve host hookpost-test.invalid' });
  });

  it('returns INVALID_REQUEST (not a throw) for a request undici cannot send', async () => {
    receiver = await startReceiver();
    const badHeader = await client.deliverOnce(request(receiver.url, { headers: { 'x-bad': 'a\r\nInjected: 1' } }));
    expect(badHeader).toMatchObject({ kind: 'failed', errorCode: 'INVALID_REQUEST' });
    const badPath = await client.deliverOnce(request(receiver.url, { path: 'no-slash' }));
    expect(badPath).toMatchObject({ kind: 'failed', errorCode: 'INVALID_REQUEST' });
    expect(receiver.requests).toHaveLength(0);
  });

  it('caps a large response body instead of reading it all', async () => {
    receiver = await startReceiver();
    let written = 0;
    const { origin, server } = await startServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 120);
        const pump = () => {
          while (written < 50 * 1024 * 1024) {
            written += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        res.on('close', () => undefined);
        pump();
      });
    });
    try {
      const outcome = await client.deliverOnce(request(origin));
      expect(outcome).toMatchObject({ kind: 'delivered', status: 200 });
      expect(outcome.durationMs).toBeLessThan(2_000);
      await new Promise((r) => setTimeout(r, 50));
      expect(written).toBeLessThan(50 * 1024 * 1024);
    } finally {
      await stop(server);
    }
  });

  it('does not let a slow body hold the attempt past timeoutMs (the status counts)', async () => {
    receiver = await startReceiver();
    const { origin, server } = await startServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('partial');
      });
    });
    try {
      const outcome = await client.deliverOnce(request(origin, { timeoutMs: 300 }));
      expect(outcome).toMatchObject({ kind: 'delivered', status: 200 });
      expect(outcome.durationMs).toBeLessThan(1_000);
    } finally {
      await stop(server);
    }
  });

  it('reuses one keep-alive connection for sequential requests', async () => {
    receiver = await startReceiver();
    const { origin, server, connections } = await startServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-length': '2' });
        res.end('ok');
      });
    });
    try {
      expect((await client.deliverOnce(request(origin))).kind).toBe('delivered');
      // undici returns the connection to the pool on the tick after the body ends.
      await new Promise((r) => setImmediate(r));
      expect((await client.deliverOnce(request(origin))).kind).toBe('delivered');
      await new Promise((r) => setImmediate(r));
      expect((await client.deliverOnce(request(origin))).kind).toBe('delivered');
      expect(connections()).toBe(1);
    } finally {
      await stop(server);
    }
  });
});

describe('delivery client destination rules (defaults: https only, public only)', () => {
  let receiver: Receiver;
  let client: DeliveryClient;
  let httpClient: DeliveryClient;

  beforeAll(async () => {
    receiver = await startReceiver(() => ({ status: 200 }));
    client = createDeliveryClient({ allowHttp: false, allowPrivateTargets: false });
    httpClient = createDeliveryClient({ allowHttp: true, allowPrivateTargets: false });
  });
  afterAll(async () => {
    await client.close();
    await httpClient.close();
    await receiver.close();
  });

  it('refuses http when allowHttp is false', async () => {
    const outcome = await client.deliverOnce(request(receiver.url));
    expect(outcome.kind).toBe('refused');
    expect(outcome.errorCode).toBe('DESTINATION_REFUSED');
    expect(outcome.message).toMatch(/http URLs are not allowed/);
  });

  it('refuses the literal 127.0.0.1', async () => {
    const outcome = await httpClient.deliverOnce(request(receiver.url));
    expect(outcome).toMatchObject({
      kind: 'refused',
      errorCode: 'DESTINATION_REFUSED',
      message: 'Destination not allowed: 127.0.0.1 is loopback',
    });
  });

  it('refuses localhost at lookup, after DNS resolution', async () => {
    const outcome = await httpClient.deliverOnce(request(`http://localhost:${receiver.port}`));
    expect(outcome.kind).toBe('refused');
    expect(outcome.errorCode).toBe('DESTINATION_REFUSED');
    expect(outcome.message).toMatch(/^Destination not allowed: (127\.0\.0\.1|::1) is loopback$/);
  });

  it('refuses an IPv4-mapped IPv6 literal', async () => {
    const outcome = await httpClient.deliverOnce(request(`http://[::ffff:127.0.0.1]:${receiver.port}`));
    expect(outcome.kind).toBe('refused');
    expect(outcome.message).toContain('127.0.0.1, which is loopback');
  });

  it('sent nothing to the receiver', async () => {
    await new Promise((r) => setTimeout(r, 50));
    expect(receiver.requests).toHaveLength(0);
  });
});
