import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeliveryClient, type DeliveryClient } from '../../../src/delivery/index.js';

// A throwaway self-signed certificate for 127.0.0.1/localhost (test fixture, not a secret).
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

describe('delivery client over https', () => {
  let server: Server;
  let origin: string;
  let requests = 0;
  let client: DeliveryClient;

  beforeAll(async () => {
    server = createServer({ key: fixture('self-signed-key.pem'), cert: fixture('self-signed-cert.pem') }, (req, res) => {
      requests += 1;
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    origin = `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    client = createDeliveryClient({ allowHttp: false, allowPrivateTargets: true });
  });

  afterAll(async () => {
    await client.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('verifies certificates: a self-signed one fails the attempt as TLS, nothing is sent', async () => {
    const outcome = await client.deliverOnce({ origin, path: '/', headers: {}, body: Buffer.from('{}'), timeoutMs: 5_000 });
    expect(outcome.kind).toBe('failed');
    expect(outcome.errorCode).toBe('TLS');
    expect(outcome.message).toMatch(/^TLS handshake failed: .*self[- ]signed/);
    expect(requests).toBe(0);
  });

  it('still refuses a private https destination when private targets are not allowed', async () => {
    const strict = createDeliveryClient({ allowHttp: false, allowPrivateTargets: false });
    try {
      const outcome = await strict.deliverOnce({ origin, path: '/', headers: {}, body: Buffer.from('{}'), timeoutMs: 5_000 });
      expect(outcome).toMatchObject({ kind: 'refused', message: 'Destination not allowed: 127.0.0.1 is loopback' });
    } finally {
      await strict.close();
    }
  });
});
