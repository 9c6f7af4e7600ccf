/**
 * Standard Webhooks on real deliveries, checked by the reference implementation (the npm package
 * `standardwebhooks`): webhook-id = the delivery id (one per webhook and fired event, stable across
 * retries), webhook-timestamp fresh per attempt, webhook-signature with the webhook's secret, both
 * secrets during the 24 h after a rotation, and webhook tests signed the same way.
 */
import { randomBytes } from 'node:crypto';
import { Webhook as ReferenceVerifier } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { enqueueWebhookTest } from '../../../src/queue/enqueue.js';
import { verifyStandardWebhook } from '../../../src/signing/verify.js';
import { eventually, requestEvent, useTestScope, verifyRecorded } from '../../helpers/engine.js';
import { type RecordedRequest, startReceiver } from '../../helpers/index.js';

const headersOf = (r: RecordedRequest) => ({
  'webhook-id': String(r.headers['webhook-id']),
  'webhook-timestamp': String(r.headers['webhook-timestamp']),
  'webhook-signature': String(r.headers['webhook-signature']),
});

describe('Standard Webhooks signatures on deliveries', () => {
  const { defer, engine } = useTestScope();

  it('a whsec_ secret: the reference library verifies every attempt; ids per (webhook, event), stable across retries', async () => {
    const t = await engine();
    let n = 0;
    const r = await startReceiver(() => ({ status: n++ < 2 ? 500 : 204 }));
    defer(() => r.close());
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    await t.createWebhook({
      url: `${r.url}/hook`,
      events: ['deployment_request_completed', 'deployment_request_finished'],
      secret,
      retry: true,
    });
    await t.producer.publish(requestEvent({ request_id: 'sw-1' }));
    await r.waitForRequests(4, 5_000);
    const reference = new ReferenceVerifier(secret);
    for (const q of r.requests) {
      expect(() => reference.verify(q.body, headersOf(q))).not.toThrow();
      expect(await verifyRecorded(q, t.publicKeyPem)).toMatchObject({ ok: true });
      expect(q.headers['webhook-id']).toBe(q.headers['hookpost-delivery-id']);
    }
    // Two deliveries (one per fired event), each sent twice (500, then the retry's 204).
    const byEvent = new Map<string, Set<string>>();
    for (const q of r.requests) {
      const event = JSON.parse(q.body.toString()).event as string;
      byEvent.set(event, (byEvent.get(event) ?? new Set()).add(String(q.headers['webhook-id'])));
    }
    expect([...byEvent.keys()].sort()).toEqual(['deployment_request_completed', 'deployment_request_finished']);
    const ids = [...byEvent.values()];
    expect(ids.map((s) => s.size)).toEqual([1, 1]);
    expect([...(ids[0] as Set<string>)][0]).not.toBe([...(ids[1] as Set<string>)][0]);
    // A tampered body fails.
    const first = r.requests[0] as RecordedRequest;
    expect(() => reference.verify(Buffer.concat([first.body, Buffer.from(' ')]), headersOf(first))).toThrow();
  });

  it('after a secret change both signatures are sent, new first; a plain secret is used as its UTF-8 bytes', async () => {
    const t = await engine();
    const r = await startReceiver();
    defer(() => r.close());
    const old = 'plain-old-sécret';
    const next = `whsec_${randomBytes(32).toString('base64')}`;
    const hook = await t.createWebhook({ url: `${r.url}/hook`, secret: old });
    await t.publishSettled(requestEvent());
    await t.services.registry.update('demo', hook.name, { secret: next });
    await eventually(async () => (await t.services.registry.get('demo', hook.name))?.secret?.current === next);
    // The match cache follows the registry's change notice.
    await eventually(async () => {
      await t.publishSettled(requestEvent());
      return String(r.requests.at(-1)?.headers['webhook-signature']).split(' ').length === 2;
    }, 5_000, 'a delivery signed with both secrets');
    const [before, after] = [r.requests[0] as RecordedRequest, r.requests.at(-1) as RecordedRequest];
    expect(String(before.headers['webhook-signature']).split(' ')).toHaveLength(1);
    // Old secret (plain): the reference library takes raw bytes; ours takes the string.
    const rawOld = new ReferenceVerifier(Buffer.from(old, 'utf8'), { format: 'raw' });
    expect(() => rawOld.verify(before.body, headersOf(before))).not.toThrow();
    expect(() => rawOld.verify(after.body, headersOf(after))).not.toThrow();
    expect(() => new ReferenceVerifier(next).verify(after.body, headersOf(after))).not.toThrow();
    const [newFirst] = String(after.headers['webhook-signature']).split(' ');
    expect(await verifyStandardWebhook({ headers: { ...headersOf(after), 'webhook-signature': newFirst }, body: after.body }, { secret: next })).toMatchObject({ ok: true });
    expect(await verifyStandardWebhook({ headers: headersOf(after), body: after.body }, { secret: old })).toMatchObject({ ok: true });
    expect(await verifyStandardWebhook({ headers: headersOf(after), body: after.body }, { secret: 'another' })).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(t.logText()).not.toContain(old);
    expect(t.logText()).not.toContain(next);
  });

  it("a webhook test is signed with the webhook's secret", async () => {
    const t = await engine();
    const r = await startReceiver();
    defer(() => r.close());
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const hook = await t.createWebhook({ url: `${r.url}/hook`, secret });
    const [test] = await t.services.webhookTests.createForWebhook(hook);
    await enqueueWebhookTest(t.services, 'demo', String(test?.id));
    const [q] = await r.waitForRequests(1, 5_000);
    expect(() => new ReferenceVerifier(secret).verify((q as RecordedRequest).body, headersOf(q as RecordedRequest))).not.toThrow();
    const raw = await t.services.redis.hgetall(t.services.keys.webhookTest('demo', String(test?.id)));
    expect(JSON.stringify(raw)).not.toContain(secret.slice(6));
  });
});
