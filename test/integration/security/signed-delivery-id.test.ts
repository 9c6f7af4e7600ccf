/**
 * The delivery id and the project are signed (issue 16, point 3 and the design note): receivers
 * de-duplicate on Hookpost-Delivery-Id, so a replay with another id must not verify; and one key
 * signs for every project, so a delivery that another project's webhook sent to your URL must be
 * recognisable as such. Two projects, real deliveries through the engine to a real receiver.
 */
import { describe, expect, it } from 'vitest';
import { verify } from '../../../src/signing/verify.js';
import { eventually, requestEvent, useTestScope } from '../../helpers/engine.js';
import { type RecordedRequest, startReceiver } from '../../helpers/index.js';

const requestOf = (r: RecordedRequest, headers = r.headers) => ({
  method: r.method,
  url: `http://${r.headers.host}${r.path}`,
  headers,
  body: new Uint8Array(r.body),
});

describe('signed delivery id and project', () => {
  const scope = useTestScope();

  it('a replay with another delivery id or project fails; a receiver checking its project refuses the other one', async () => {
    const t = await scope.engine();
    const receiver = await startReceiver();
    scope.defer(() => receiver.close());
    const url = `${receiver.url}/alpha-hooks`;
    // Project beta points a webhook at alpha's receiver: same key, same URL.
    await t.createWebhook({ url }, 'alpha');
    await t.createWebhook({ url }, 'beta');
    await t.publishSettled(requestEvent({ project: 'alpha' }));
    await t.publishSettled(requestEvent({ project: 'beta' }));
    await eventually(() => receiver.requests.length === 2, 30_000, 'both deliveries');

    const byProject = new Map(receiver.requests.map((r) => [String(r.headers['hookpost-project']), r]));
    const alpha = byProject.get('alpha');
    const beta = byProject.get('beta');
    if (alpha === undefined || beta === undefined) throw new Error(`deliveries: ${[...byProject.keys()].join(', ')}`);
    const publicKey = t.publicKeyPem;

    // Both verify without the project check (the signature is hookpost's), and name their project.
    const alphaResult = await verify(requestOf(alpha), { publicKey });
    expect(alphaResult).toMatchObject({ ok: true, deliveryId: alpha.headers['hookpost-delivery-id'], project: 'alpha' });
    expect(await verify(requestOf(beta), { publicKey })).toMatchObject({ ok: true, project: 'beta' });
    expect(String(alpha.headers['signature-input'])).toContain('"date" "hookpost-delivery-id" "hookpost-project");');

    // Alpha's receiver checks its project: beta's delivery is refused.
    expect(await verify(requestOf(alpha), { publicKey, project: 'alpha' })).toMatchObject({ ok: true });
    expect(await verify(requestOf(beta), { publicKey, project: 'alpha' })).toMatchObject({ ok: false, reason: 'project_mismatch' });

    // Replays with the headers changed do not verify.
    const replayedId = { ...alpha.headers, 'hookpost-delivery-id': '00000000-0000-8000-8000-000000000000' };
    expect(await verify(requestOf(alpha, replayedId), { publicKey })).toMatchObject({ ok: false, reason: 'bad_signature' });
    const relabelled = { ...beta.headers, 'hookpost-project': 'alpha' };
    expect(await verify(requestOf(beta, relabelled), { publicKey, project: 'alpha' })).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
    // The Standard Webhooks id is the same delivery id.
    expect(alpha.headers['webhook-id']).toBe(alpha.headers['hookpost-delivery-id']);
  });
});
