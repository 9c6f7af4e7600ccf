import { createPrivateKey } from 'node:crypto';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../../helpers/index.js';
import { createSigner, requestTarget, verify } from '../../../src/signing/index.js';
import { vectors } from './vectors.js';

// What is sent must be exactly what is signed: send signed requests with undici to a real node:http
// receiver and verify them from what the receiver saw on the wire (request line and Host header).
describe('signed requests on the wire', () => {
  const signer = createSigner(createPrivateKey(vectors.key.private_key_pem));
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });

  it.each([
    '/',
    '',
    '/webhooks/ubiops?project=demo&attempt=2',
    '/hooks/caf%c3%a9/%41%7e?q=[1]&b=^|{x}#fragment',
    '/100%?p=%zz&empty=',
    '/hook?',
  ])('verifies %j as received', async (suffix) => {
    const target = requestTarget(`${receiver.url}${suffix}`);
    const body = Buffer.from('{"event":"deployment_request_completed","text":"naïve ☃"}');
    const headers = signer.sign('POST', target, body, { deliveryId: '0f7c2a8e-4b1d-8e8b-9a51-2f3c7d9e0b14', project: 'demo' });
    const client = new Client(target.origin);
    try {
      const response = await client.request({
        method: 'POST',
        path: target.path,
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
      await response.body.dump();
      expect(response.statusCode).toBe(204);
    } finally {
      await client.close();
    }

    const seen = receiver.requests.at(-1)!;
    expect(seen.path).toBe(target.path);
    expect(seen.headers.host).toBe(target.authority);
    expect(seen.headers['content-length']).toBe(String(body.length));
    const result = await verify(
      { method: seen.method, url: `http://${seen.headers.host}${seen.path}`, headers: seen.headers, body: seen.body },
      { publicKey: signer.publicKeyPem },
    );
    expect(result).toMatchObject({ ok: true, keyid: signer.keyid, label: 'pyhms', deliveryId: '0f7c2a8e-4b1d-8e8b-9a51-2f3c7d9e0b14', project: 'demo' });
  });
});
