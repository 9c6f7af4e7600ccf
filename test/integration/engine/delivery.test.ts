import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { verify } from '../../../src/signing/index.js';
import { requestEvent, startTestEngine, type TestEngine } from '../../helpers/engine.js';
import { type Receiver, startReceiver } from '../../helpers/index.js';

describe('delivery engine: events to signed POSTs', () => {
  let t: TestEngine;
  let receiver: Receiver;

  beforeEach(async () => {
    t = await startTestEngine(inject('redisUrl'));
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await t.close();
    await receiver.close();
  });

  it('delivers a completed event to the completed and finished webhooks, signed and verifiable', async () => {
    await t.createWebhook({ url: `${receiver.url}/completed`, event: 'deployment_request_completed' });
    await t.createWebhook({
      url: `${receiver.url}/finished?x=1`,
      event: 'deployment_request_finished',
      headers: [{ key: 'Authorization', value: 'Token s3cret-value', protected: true }],
    });
    await t.createWebhook({ url: `${receiver.url}/started`, event: 'deployment_request_started' });
    const event = requestEvent({ request_id: 'req-1' });
    await t.producer.publish(event);
    const requests = await receiver.waitForRequests(2);
    await t.idle();
    expect(receiver.requests).toHaveLength(2);
    expect(requests.map((r) => r.path).sort()).toEqual(['/completed', '/finished?x=1']);
    for (const r of requests) {
      const result = await verify(
        { method: r.method, url: `http://${r.headers.host}${r.path}`, headers: r.headers as Record<string, string>, body: new Uint8Array(r.body) },
        { publicKey: t.publicKeyPem },
      );
      expect(result).toMatchObject({ ok: true });
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['content-length']).toBe(String(r.body.length));
      expect(r.headers['hookpost-delivery-id']).toMatch(/^[0-9a-f-]{36}$/);
      // Standard Webhooks: the id is the delivery id, the timestamp the signature's `created`.
      expect(r.headers['webhook-id']).toBe(r.headers['hookpost-delivery-id']);
      expect(r.headers['signature-input']).toContain(`;created=${r.headers['webhook-timestamp']};`);
      // No secret on these webhooks: no HMAC signature.
      expect(r.headers['webhook-signature']).toBeUndefined();
    }
    const finished = requests.find((r) => r.path.startsWith('/finished'));
    expect(finished?.headers.authorization).toBe('Token s3cret-value');
    expect(JSON.parse(finished?.body.toString() ?? '{}')).toEqual({
      event: 'deployment_request_finished',
      deployment_id: event.object_id,
      deployment_name: 'model',
      deployment_version_id: event.version_id,
      deployment_version_name: 'v1',
      request_id: 'req-1',
      status: 'completed',
      text: 'Deployment request req-1 finished for deployment model v1 in project demo',
    });
    expect(t.logText()).not.toContain('s3cret-value');
    const lines = t.logs.filter((l) => l.msg === 'delivery attempted');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ attempt: 1, outcome: 'delivered', status: 204 });
    expect(lines[0]?.deliveryId).toBeTypeOf('string');
  });
});
