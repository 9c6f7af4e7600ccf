/**
 * Hostile input (issue 12): keys that would touch an object's prototype, and headers hookpost owns
 * when sending, are refused with a 400 naming the field instead of being dropped or overwritten later.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { OWNED_HEADERS } from '../../../src/delivery/index.js';
import { metricValue, requestEvent, startTestEngine, type TestEngine } from '../../helpers/engine.js';
import { type Receiver, startReceiver } from '../../helpers/index.js';
import { TEST_AUTH as AUTH, type ApiHarness as Harness, startApi } from '../../helpers/app.js';

const WEBHOOKS = '/v2.1/projects/project-1/webhooks';
const TESTS = '/v2.1/projects/project-1/webhooks-tests';
const valid = {
  name: 'webhook-1',
  url: 'https://callback.example.com/hook',
  object_type: 'deployment',
  object_name: 'deployment-1',
  event: 'deployment_request_finished',
};
const testBody = { url: valid.url, object_type: valid.object_type, object_name: valid.object_name, event: valid.event };
const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'];

/** The headers a real delivery carries: the pipeline's and the client's, written as people write them. */
const spellings = (name: string) => [name, name.toUpperCase(), name.replace(/(^|-)([a-z])/g, (_m, dash, c) => dash + c.toUpperCase())];

describe('hostile input at the API', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApi();
    expect((await h.call('POST', WEBHOOKS, { ...valid, name: 'existing' })).statusCode).toBe(201);
  });
  afterAll(async () => {
    await h.close();
  });

  const expect400 = async (method: 'POST' | 'PATCH' | 'GET', url: string, body: unknown, message: string) => {
    const res = await h.call(method, url, body);
    expect(res.statusCode, `${method} ${url} ${JSON.stringify(body)}`).toBe(400);
    expect(res.json().error).toContain(message);
  };

  it.each(OWNED_HEADERS.flatMap((name) => spellings(name)))(
    'a header hookpost owns (%s) is refused on create, update and webhook test, naming it',
    async (key) => {
      const message = `headers[0].key: is set by hookpost and cannot be configured ("${key}")`;
      await expect400('POST', WEBHOOKS, { ...valid, headers: [{ key, value: 'x' }] }, message);
      await expect400('PATCH', `${WEBHOOKS}/existing`, { headers: [{ key, value: 'x' }] }, message);
      await expect400('POST', TESTS, { ...testBody, headers: [{ key, value: 'x' }] }, message);
      // Its position is named too.
      await expect400(
        'POST',
        WEBHOOKS,
        { ...valid, headers: [{ key: 'X-Fine', value: 'x' }, { key, value: 'x' }] },
        `headers[1].key: is set by hookpost and cannot be configured ("${key}")`,
      );
    },
  );

  it('covers what the delivery side owns: user-agent, te and the Standard Webhooks headers too', () => {
    for (const name of ['user-agent', 'te', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'hookpost-delivery-id']) {
      expect(OWNED_HEADERS).toContain(name);
    }
  });

  it.each(FORBIDDEN_KEYS.flatMap((k) => [k, k.toUpperCase()]))('header key %s is refused, naming the field', async (key) => {
    const message = `headers[0].key: header keys must not be "${key.toLowerCase()}"`;
    await expect400('POST', WEBHOOKS, { ...valid, headers: [{ key, value: 'x' }] }, message);
    await expect400('PATCH', `${WEBHOOKS}/existing`, { headers: [{ key, value: 'x', protected: true }] }, message);
    await expect400('POST', TESTS, { ...testBody, headers: [{ key, value: 'x' }] }, message);
  });

  it.each(['constructor', 'prototype'])('label key %s is refused, naming the field', async (key) => {
    const message = `labels.${key}: label keys must not be "${key}"`;
    await expect400('POST', WEBHOOKS, { ...valid, labels: { team: 'a', [key]: 'x' } }, message);
    await expect400('PATCH', `${WEBHOOKS}/existing`, { labels: { [key]: 'x' } }, message);
  });

  it('label key __proto__ in a JSON body is refused with a 400 (the JSON parser refuses it first)', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: WEBHOOKS,
      headers: { ...AUTH, 'content-type': 'application/json' },
      payload: `{"name":"w-proto","url":"${valid.url}","object_type":"deployment","object_name":"d","event":"deployment_request_finished","labels":{"__proto__":"x"}}`,
    });
    expect(res.statusCode).toBe(400);
    expect((await h.call('GET', `${WEBHOOKS}/w-proto`)).statusCode).toBe(404);
  });

  it.each(FORBIDDEN_KEYS)('label filter labels=%s:x is refused, naming the field', async (key) => {
    const res = await h.call('GET', `${WEBHOOKS}?labels=${encodeURIComponent(`${key}:x`)}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: `labels: label keys must not be "${key}"` });
    const mixed = await h.call('GET', `${WEBHOOKS}?labels=${encodeURIComponent(`team:a,${key}:x`)}`);
    expect(mixed.statusCode).toBe(400);
  });

  it('ordinary keys that merely contain those words still work', async () => {
    const res = await h.call('POST', WEBHOOKS, {
      ...valid,
      name: 'ordinary',
      headers: [{ key: 'X-Constructor', value: 'x' }],
      labels: { prototypes: 'x', my__proto__: 'y' },
    });
    expect(res.statusCode).toBe(201);
    const found = await h.call('GET', `${WEBHOOKS}?labels=prototypes:x`);
    expect(found.json().map((w: { name: string }) => w.name)).toEqual(['ordinary']);
  });
});

describe('the owned-header list matches what a delivery really carries', () => {
  let t: TestEngine;
  let receiver: Receiver;
  beforeAll(async () => {
    t = await startTestEngine(inject('redisUrl'));
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  it('every header the receiver sees is either the webhook own or on the owned list', async () => {
    await t.createWebhook({ url: `${receiver.url}/hook`, headers: [{ key: 'X-Custom', value: 'v', protected: false }] });
    await t.publishSettled(requestEvent({ request_id: 'owned-headers' }));
    expect(await metricValue(t, 'hookpost_events_consumed_total', { outcome: 'matched' })).toBe(1);
    const [request] = receiver.requests;
    const received = Object.keys(request?.headers ?? {});
    expect(received).toContain('x-custom');
    const unexpected = received.filter((name) => name !== 'x-custom' && !OWNED_HEADERS.includes(name));
    expect(unexpected).toEqual([]);
  });
});
