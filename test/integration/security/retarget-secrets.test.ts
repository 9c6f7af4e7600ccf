/**
 * Retargeting drops every previous secret (issue 16, point 3): a secret rotated at one origin keeps
 * signing there for 24 h, but once the webhook moves to another origin only its current secret
 * signs, also when that move re-sends the current secret (or keeps it). Two projects, one per API
 * surface (UbiOps PATCH, UP42 PUT), real receivers on two origins, deliveries through the engine.
 */
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { buildProcessApp } from '../../../src/lifecycle/run.js';
import { verifyStandardWebhook } from '../../../src/signing/verify.js';
import { type TestEngine, eventually, requestEvent, useTestScope } from '../../helpers/engine.js';
import { type Receiver, type RecordedRequest, startReceiver } from '../../helpers/index.js';

const TOKEN = 'test-token-0123456789';
const S1 = 'first-secret-0123456789';
const S2 = 'second-secret-0123456789';

/** The `v1,` signatures of a delivery. */
const signaturesOf = (request: RecordedRequest): string[] =>
  String(request.headers['webhook-signature'] ?? '')
    .split(' ')
    .filter((s) => s.startsWith('v1,'));

const verifiesWith = async (request: RecordedRequest, secret: string) =>
  (await verifyStandardWebhook({ headers: request.headers, body: request.body }, { secret })).ok;

describe('retargeting drops every previous secret', () => {
  const scope = useTestScope();

  async function setUp(): Promise<{ t: TestEngine; app: FastifyInstance; oldOrigin: Receiver; newOrigin: Receiver }> {
    const t = await scope.engine();
    const app = buildProcessApp(t.services);
    scope.defer(() => app.close());
    const oldOrigin = await startReceiver();
    scope.defer(() => oldOrigin.close());
    const newOrigin = await startReceiver();
    scope.defer(() => newOrigin.close());
    return { t, app, oldOrigin, newOrigin };
  }

  const call = (app: FastifyInstance, method: 'POST' | 'PATCH' | 'PUT', url: string, payload: unknown) =>
    app.inject({
      method,
      url,
      headers: { authorization: `${url.startsWith('/workspaces') ? 'Bearer' : 'Token'} ${TOKEN}`, 'content-type': 'application/json' },
      payload: JSON.stringify(payload),
    });

  /** Publishes one event of `project` and returns the delivery `receiver` got for it. */
  async function deliveryTo(t: TestEngine, receiver: Receiver, project: string): Promise<RecordedRequest> {
    const before = receiver.requests.length;
    await t.publishSettled(requestEvent({ project }));
    return eventually(() => receiver.requests[before], 30_000, `a delivery of ${project}`);
  }

  it('UbiOps PATCH: rotate at the same origin (two signatures), move re-sending the secret (one: S2)', async () => {
    const { t, app, oldOrigin, newOrigin } = await setUp();
    const base = '/v2.1/projects/alpha/webhooks';
    const created = await call(app, 'POST', base, {
      name: 'hook',
      url: `${oldOrigin.url}/in`,
      object_type: 'deployment',
      object_name: 'model',
      version: 'v1',
      event: 'deployment_request_completed',
      secret: S1,
    });
    expect(created.statusCode, created.body).toBe(201);
    // A second project with the same secret history that stays put: its overlap must not change.
    const other = await call(app, 'POST', '/v2.1/projects/beta/webhooks', {
      name: 'hook',
      url: `${oldOrigin.url}/beta`,
      object_type: 'deployment',
      object_name: 'model',
      version: 'v1',
      event: 'deployment_request_completed',
      secret: S1,
    });
    expect(other.statusCode, other.body).toBe(201);

    expect((await call(app, 'PATCH', `${base}/hook`, { secret: S2 })).statusCode).toBe(200);
    expect((await call(app, 'PATCH', '/v2.1/projects/beta/webhooks/hook', { secret: S2 })).statusCode).toBe(200);
    // Same origin: the 24 h overlap, S2's signature and S1's.
    const rotated = await deliveryTo(t, oldOrigin, 'alpha');
    expect(signaturesOf(rotated)).toHaveLength(2);
    expect(await verifiesWith(rotated, S1)).toBe(true);

    const moved = await call(app, 'PATCH', `${base}/hook`, { url: `${newOrigin.url}/in`, secret: S2 });
    expect(moved.statusCode, moved.body).toBe(200);
    expect((await t.services.registry.get('alpha', 'hook'))?.secret).toEqual({ current: S2, previous: null, rotatedAt: null });
    const there = await deliveryTo(t, newOrigin, 'alpha');
    expect(signaturesOf(there)).toHaveLength(1);
    expect(await verifiesWith(there, S2)).toBe(true);
    expect(await verifiesWith(there, S1)).toBe(false);

    // The project that did not move keeps its overlap.
    const stayed = await deliveryTo(t, oldOrigin, 'beta');
    expect(signaturesOf(stayed)).toHaveLength(2);
  });

  it('UbiOps PATCH: a move with keep_secrets: true keeps the current secret only', async () => {
    const { t, app, oldOrigin, newOrigin } = await setUp();
    const base = '/v2.1/projects/alpha/webhooks';
    const hook = { name: 'hook', object_type: 'deployment', object_name: 'model', version: 'v1', event: 'deployment_request_completed' };
    expect((await call(app, 'POST', base, { ...hook, url: `${oldOrigin.url}/in`, secret: S1 })).statusCode).toBe(201);
    expect((await call(app, 'PATCH', `${base}/hook`, { secret: S2 })).statusCode).toBe(200);
    expect((await call(app, 'PATCH', `${base}/hook`, { url: `${newOrigin.url}/in`, keep_secrets: true })).statusCode).toBe(200);
    const there = await deliveryTo(t, newOrigin, 'alpha');
    expect(signaturesOf(there)).toHaveLength(1);
    expect(await verifiesWith(there, S1)).toBe(false);
    expect(await verifiesWith(there, S2)).toBe(true);
  });

  it('UP42 PUT: rotate at the same origin, move re-sending the secret: the new origin gets S2 only', async () => {
    const { t, app, oldOrigin, newOrigin } = await setUp();
    const up42 = { name: 'Hook', events: ['deployment_request_completed'], active: true };
    const created = await call(app, 'POST', '/workspaces/gamma/webhooks', { ...up42, url: `${oldOrigin.url}/in`, secret: S1 });
    expect(created.statusCode, created.body).toBe(201);
    const item = `/workspaces/gamma/webhooks/${created.json().data.id}`;
    expect((await call(app, 'PUT', item, { ...up42, url: `${oldOrigin.url}/in`, secret: S2 })).statusCode).toBe(200);
    expect(signaturesOf(await deliveryTo(t, oldOrigin, 'gamma'))).toHaveLength(2);

    const moved = await call(app, 'PUT', item, { ...up42, url: `${newOrigin.url}/in`, secret: S2 });
    expect(moved.statusCode, moved.body).toBe(200);
    const there = await deliveryTo(t, newOrigin, 'gamma');
    expect(signaturesOf(there)).toHaveLength(1);
    expect(await verifiesWith(there, S2)).toBe(true);
    expect(await verifiesWith(there, S1)).toBe(false);
  });
});
