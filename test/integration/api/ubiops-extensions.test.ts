/**
 * The UbiOps surface's extensions: `events` beside `event`, a write-only `secret`, and
 * `POST .../webhooks/{name}/tests` (one test per subscribed event). Clients that use none of them
 * see the v2.1 wire format as before (webhooks.test.ts), plus `events` and `secret: null` in details.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SEED_WEBHOOK_CREATE } from '../../fixtures/seed-webhook.js';
import { type ApiHarness as Harness, startApi } from '../../helpers/app.js';

const BASE = '/v2.1/projects/project-1/webhooks';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const { event: _event, ...WITHOUT_EVENT } = SEED_WEBHOOK_CREATE;

describe('UbiOps surface extensions', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startApi();
  });
  afterEach(async () => {
    await h.close();
  });

  it('creates with events (a list) instead of event; details show both, event being the first', async () => {
    const res = await h.call('POST', BASE, {
      ...WITHOUT_EVENT,
      events: ['deployment_request_completed', 'deployment_request_failed', 'deployment_request_completed'],
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({
      event: 'deployment_request_completed',
      events: ['deployment_request_completed', 'deployment_request_failed'],
      secret: null,
    });
    const listed = (await h.call('GET', `${BASE}?event=deployment_request_failed`)).json();
    expect(listed.map((w: { name: string }) => w.name)).toEqual(['webhook-1']);
    expect((await h.call('GET', `${BASE}?event=deployment_request_started`)).json()).toEqual([]);
  });

  it('a create gives event or events: 400 naming the field for both or neither, or an event that does not fit', async () => {
    const both = await h.call('POST', BASE, { ...SEED_WEBHOOK_CREATE, events: ['deployment_request_finished'] });
    expect(both.statusCode).toBe(400);
    expect(both.json()).toEqual({ error: 'events: give either event or events, not both' });
    const neither = await h.call('POST', BASE, WITHOUT_EVENT);
    expect(neither.json()).toEqual({ error: 'event: required (or events, a list of events)' });
    const wrongType = await h.call('POST', BASE, { ...WITHOUT_EVENT, events: ['deployment_request_started', 'pipeline_request_started'] });
    expect(wrongType.json().error).toMatch(/^events\[1\]: must be one of deployment_request_started/);
    const empty = await h.call('POST', BASE, { ...WITHOUT_EVENT, events: [] });
    expect(empty.json()).toEqual({ error: 'events: must have at least one event' });
    expect(await h.deps.registry.list('project-1')).toEqual([]);
  });

  it('PATCH: event replaces the list with that event, events replaces it, both is a 400', async () => {
    await h.call('POST', BASE, { ...WITHOUT_EVENT, events: ['deployment_request_completed', 'deployment_request_failed'] });
    const one = await h.call('PATCH', `${BASE}/webhook-1`, { event: 'deployment_request_started' });
    expect(one.json()).toMatchObject({ event: 'deployment_request_started', events: ['deployment_request_started'] });
    const list = await h.call('PATCH', `${BASE}/webhook-1`, { events: ['deployment_request_finished', 'deployment_request_started'] });
    expect(list.json()).toMatchObject({ event: 'deployment_request_finished', events: ['deployment_request_finished', 'deployment_request_started'] });
    const both = await h.call('PATCH', `${BASE}/webhook-1`, { event: 'deployment_request_started', events: ['deployment_request_started'] });
    expect(both.statusCode).toBe(400);
    expect(both.json().error).toMatch(/^events: /);
    const moved = await h.call('PATCH', `${BASE}/webhook-1`, { object_type: 'pipeline' });
    expect(moved.statusCode).toBe(400);
    expect(moved.json().error).toMatch(/^events\[0\]: must be one of pipeline_request_/);
  });

  it('secret: write-only (null in every answer), validated, kept when absent or null, rotated when changed', async () => {
    const created = await h.call('POST', BASE, { ...SEED_WEBHOOK_CREATE, secret: SECRET });
    expect(created.statusCode).toBe(201);
    expect(created.json().secret).toBeNull();
    for (const res of [created, await h.call('GET', `${BASE}/webhook-1`), await h.call('GET', BASE)]) {
      expect(res.body).not.toContain(SECRET);
    }
    const id = created.json().id;
    await h.call('PATCH', `${BASE}/webhook-1`, { description: 'x', secret: null });
    expect((await h.deps.registry.getById('project-1', id))?.secret).toEqual({ current: SECRET, previous: null, rotatedAt: null });
    const rotated = await h.call('PATCH', `${BASE}/webhook-1`, { secret: 'another secret' });
    expect(rotated.json().secret).toBeNull();
    expect((await h.deps.registry.getById('project-1', id))?.secret).toMatchObject({ current: 'another secret', previous: SECRET });

    const bad = await h.call('PATCH', `${BASE}/webhook-1`, { secret: 'whsec_***' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/^secret: .*base64/);
    expect((await h.call('POST', BASE, { ...SEED_WEBHOOK_CREATE, name: 'w2', secret: '' })).json()).toEqual({
      error: 'secret: must be 1-256 characters',
    });
    expect(h.logs()).not.toContain(SECRET);
    expect(h.logs()).not.toContain('another secret');
  });

  it('POST .../webhooks/{name}/tests: one pending test per subscribed event, each readable at webhooks-tests/{id}', async () => {
    await h.call('POST', BASE, { ...WITHOUT_EVENT, events: ['deployment_request_started', 'deployment_request_finished'], secret: SECRET });
    const res = await h.call('POST', `${BASE}/webhook-1/tests`);
    expect(res.statusCode, res.body).toBe(201);
    const tests = res.json() as Array<{ id: string; event: string; status: string; error_message: null }>;
    expect(tests.map((t) => [t.event, t.status, t.error_message])).toEqual([
      ['deployment_request_started', 'pending', null],
      ['deployment_request_finished', 'pending', null],
    ]);
    expect(h.enqueued).toEqual(tests.map((t) => ({ project: 'project-1', testId: t.id })));
    for (const t of tests) {
      expect((await h.call('GET', `/v2.1/projects/project-1/webhooks-tests/${t.id}`)).json()).toEqual({
        id: t.id,
        status: 'pending',
        error_message: null,
      });
      const config = await h.deps.webhookTests.getConfig('project-1', t.id);
      expect(config).toMatchObject({ object_name: 'deployment-1', version: 'v1', event: t.event, secret: { current: SECRET } });
      expect(JSON.stringify(await h.redis.hgetall(h.keys.webhookTest('project-1', t.id)))).not.toContain(SECRET);
    }
    expect((await h.call('POST', `${BASE}/nope/tests`)).statusCode).toBe(404);
  });

  it('project-wide webhooks (the UP42 surface) are not shown here, but their names are taken', async () => {
    await h.deps.registry.create('project-1', { name: 'webhook-1', url: 'https://up42.example/h', events: ['pipeline_request_failed'] });
    expect((await h.call('GET', BASE)).json()).toEqual([]);
    expect((await h.call('GET', `${BASE}/webhook-1`)).statusCode).toBe(404);
    expect((await h.call('PATCH', `${BASE}/webhook-1`, { enabled: false })).statusCode).toBe(404);
    expect((await h.call('DELETE', `${BASE}/webhook-1`)).statusCode).toBe(404);
    expect((await h.call('POST', `${BASE}/webhook-1/tests`)).statusCode).toBe(404);
    const taken = await h.call('POST', BASE, SEED_WEBHOOK_CREATE);
    expect(taken.statusCode).toBe(409);
    expect(await h.deps.registry.list('project-1')).toHaveLength(1);
  });

  it('serves the event catalog at /v2.1/webhooks/events', async () => {
    const res = await h.call('GET', '/v2.1/webhooks/events');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toHaveLength(8);
    expect(res.json()[0]).toEqual({
      name: 'deployment_request_started',
      object_type: 'deployment',
      description: expect.stringMatching(/^A request to a deployment started/),
    });
  });
});
