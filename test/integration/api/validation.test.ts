import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness as Harness, startApi } from '../../helpers/app.js';

const BASE = '/v2.1/projects/project-1/webhooks';

const valid = {
  name: 'webhook-1',
  url: 'https://callback-url-webhook-1.com',
  object_type: 'deployment',
  object_name: 'deployment-1',
  event: 'deployment_request_finished',
};

const without = (field: keyof typeof valid) => {
  const { [field]: _removed, ...rest } = valid;
  return rest;
};

const headers = (...list: Array<{ key: string; value: string | null; protected?: boolean }>) => ({ ...valid, headers: list });
const manyLabels = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
const manyHeaders = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `X-H${i}`, value: 'v' }));

/** [what, body, expected error prefix]: every create rule, one violation each. */
const CREATE_CASES: Array<[string, unknown, string]> = [
  ['name required', without('name'), 'name: required'],
  ['url required', without('url'), 'url: required'],
  ['object_type required', without('object_type'), 'object_type: required'],
  ['object_name required', without('object_name'), 'object_name: required'],
  ['event required', without('event'), 'event: required'],
  ['unknown field', { ...valid, colour: 'red' }, 'colour: unknown field'],
  ['unknown header field', headers({ key: 'X-A', value: 'v', secret: true } as never), 'headers[0].secret: unknown field'],
  ['name charset', { ...valid, name: 'Webhook_1' }, 'name: must be 1-64 characters'],
  ['name leading dash', { ...valid, name: '-webhook' }, 'name: must be 1-64 characters'],
  ['name too long', { ...valid, name: 'a'.repeat(65) }, 'name: must be 1-64 characters'],
  ['name type', { ...valid, name: 5 }, 'name: must be a string, got a number'],
  ['object_type enum', { ...valid, object_type: 'model' }, 'object_type: must be one of deployment, pipeline'],
  ['event enum', { ...valid, event: 'deployment_request_exploded' }, 'event: must be one of'],
  ['event of the other type', { ...valid, event: 'pipeline_request_finished' }, 'event: must be one of deployment_request_started'],
  ['timeout too small', { ...valid, timeout: 0 }, 'timeout: must be from 1 to 30'],
  ['timeout too large', { ...valid, timeout: 31 }, 'timeout: must be from 1 to 30'],
  ['timeout integer', { ...valid, timeout: 2.5 }, 'timeout: must be an integer'],
  ['timeout type', { ...valid, timeout: '10' }, 'timeout: must be a number'],
  ['url not absolute', { ...valid, url: '/relative' }, 'url: must be an absolute http(s) URL'],
  ['url scheme', { ...valid, url: 'ftp://example.com' }, 'url: must be an absolute http(s) URL'],
  ['url http refused', { ...valid, url: 'http://example.com' }, 'url: must use https'],
  ['url credentials', { ...valid, url: 'https://user:pw@example.com' }, 'url: must not contain credentials'],
  ['url username only', { ...valid, url: 'https://user@example.com' }, 'url: must not contain credentials'],
  ['url too long', { ...valid, url: `https://example.com/${'a'.repeat(2030)}` }, 'url: must be at most 2048 characters'],
  ['header key token', headers({ key: 'Bad Key', value: 'v' }), 'headers[0].key: must be a valid HTTP field name'],
  ['header key colon', headers({ key: 'X-A:', value: 'v' }), 'headers[0].key: must be a valid HTTP field name'],
  ['header key empty', headers({ key: '', value: 'v' }), 'headers[0].key: must not be empty'],
  ['header Content-Type', headers({ key: 'content-type', value: 'text/plain' }), 'headers[0].key: is set by hookpost'],
  ['header Content-Length', headers({ key: 'Content-Length', value: '1' }), 'headers[0].key: is set by hookpost'],
  ['header Content-Digest', headers({ key: 'Content-Digest', value: 'x' }), 'headers[0].key: is set by hookpost'],
  ['header Date', headers({ key: 'DATE', value: 'x' }), 'headers[0].key: is set by hookpost'],
  ['header Signature', headers({ key: 'Signature', value: 'x' }), 'headers[0].key: is set by hookpost'],
  ['header Signature-Input', headers({ key: 'signature-input', value: 'x' }), 'headers[0].key: is set by hookpost'],
  ['header Host', headers({ key: 'Host', value: 'x' }), 'headers[0].key: is set by hookpost'],
  ['header delivery id', headers({ key: 'Hookpost-Delivery-Id', value: 'x' }), 'headers[0].key: is set by hookpost'],
  ['header value CRLF', headers({ key: 'X-A', value: 'a\r\nX-Injected: 1' }), 'headers[0].value: must not contain CR, LF, NUL'],
  ['header value LF', headers({ key: 'X-A', value: 'a\nb' }), 'headers[0].value: must not contain CR, LF, NUL'],
  ['header value NUL', headers({ key: 'X-A', value: 'a\u0000b' }), 'headers[0].value: must not contain CR, LF, NUL'],
  ['header value empty (UbiOps: at least 1)', headers({ key: 'X-A', value: '' }), 'headers[0].value: must not be empty'],
  ['header value too long', headers({ key: 'X-A', value: 'v'.repeat(4097) }), 'headers[0].value: must be at most 4096'],
  ['header value null on create', headers({ key: 'X-A', value: null, protected: true }), 'headers[0].value: must be a string'],
  ['header duplicate key', headers({ key: 'X-A', value: '1' }, { key: 'x-a', value: '2' }), 'headers[1].key: duplicate header key'],
  ['too many headers', { ...valid, headers: manyHeaders(33) }, 'headers: must have at most 32 entries'],
  ['description too long (UbiOps: 400)', { ...valid, description: 'd'.repeat(401) }, 'description: must be at most 400 characters'],
  ['too many labels', { ...valid, labels: manyLabels(33) }, 'labels: must have at most 32 pairs'],
  ['label key too long', { ...valid, labels: { ['k'.repeat(65)]: 'v' } }, `labels.${'k'.repeat(65)}: label keys must be at most 64`],
  ['label key colon', { ...valid, labels: { 'a:b': 'v' } }, 'labels.a:b: label keys must not contain ":" or ","'],
  ['label value too long', { ...valid, labels: { k: 'v'.repeat(65) } }, 'labels.k: must be at most 64 characters'],
  ['label value type', { ...valid, labels: { k: 1 } }, 'labels.k: must be a string'],
  ['object_name too long', { ...valid, object_name: 'o'.repeat(129) }, 'object_name: must be at most 128 characters'],
  ['object_name empty', { ...valid, object_name: '' }, 'object_name: must not be empty'],
  ['version too long', { ...valid, version: 'v'.repeat(129) }, 'version: must be at most 128 characters'],
  ['enabled type', { ...valid, enabled: 'yes' }, 'enabled: must be a boolean'],
  ['retry type', { ...valid, retry: 1 }, 'retry: must be a boolean'],
  ['include_result type', { ...valid, include_result: null }, 'include_result: must be a boolean'],
  ['body array', [valid], 'body: must be an object, got an array'],
];

describe('API validation', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApi();
  });
  afterAll(async () => {
    await h.close();
  });

  it.each(CREATE_CASES)('create: %s → 400', async (_what, body, expected) => {
    const res = await h.call('POST', BASE, body);
    expect(res.statusCode).toBe(400);
    const error: string = res.json().error;
    expect(error.startsWith(expected), error).toBe(true);
    expect(Object.keys(res.json())).toEqual(['error']);
  });

  it('accepts the boundaries, even with every header value JSON-escaped', async () => {
    const body = {
      ...valid,
      name: `a${'-'.repeat(62)}9`,
      url: `https://example.com/${'a'.repeat(2048 - 20)}`,
      timeout: 30,
      headers: manyHeaders(32).map((x) => ({ ...x, value: '\u00ff'.repeat(4096) })),
      labels: { ...manyLabels(31), ['k'.repeat(64)]: 'v'.repeat(64) },
      description: 'd'.repeat(400),
      object_name: 'o'.repeat(128),
      version: 'v'.repeat(128),
    };
    const res = await h.app.inject({
      method: 'POST',
      url: BASE,
      headers: { authorization: 'Token test-token-0123456789', 'content-type': 'application/json' },
      payload: JSON.stringify(body).replaceAll('\u00ff', '\\u00ff'),
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().headers[31].value).toBe('\u00ff'.repeat(4096));
    const one = await h.call('POST', BASE, { ...valid, name: '1', timeout: 1, headers: [{ key: "x!#$%&'*+-.^_`|~", value: '\tok é' }] });
    expect(one.statusCode, one.body).toBe(201);
  });

  it('reports every violation, each naming its field', async () => {
    const res = await h.call('POST', BASE, { name: 'Bad', url: 'http://x', timeout: 99, extra: true });
    expect(res.statusCode).toBe(400);
    const error: string = res.json().error;
    for (const part of ['name: ', 'url: ', 'timeout: ', 'object_type: required', 'extra: unknown field']) {
      expect(error).toContain(part);
    }
  });

  it('validates PATCH bodies with the same rules, all fields optional', async () => {
    expect((await h.call('POST', BASE, { ...valid, name: 'patch-me' })).statusCode).toBe(201);
    const cases: Array<[unknown, string]> = [
      [{ timeout: 0 }, 'timeout: must be from 1 to 30'],
      [{ name: 'Bad_Name' }, 'name: must be 1-64 characters'],
      [{ url: 'http://example.com' }, 'url: must use https'],
      [{ unknown: 1 }, 'unknown: unknown field'],
      [{ id: 'e54251d8-e518-424f-bf7d-c45aaf26f72c' }, 'id: unknown field'],
      [{ headers: [{ key: 'Signature', value: 'x' }] }, 'headers[0].key: is set by hookpost'],
      [{ headers: [{ key: 'X-A', value: 'a\r\nb' }] }, 'headers[0].value: must not contain CR'],
      [{ event: 'pipeline_request_failed' }, 'event: must be one of deployment_request_started'],
      [{ object_type: 'pipeline', event: 'deployment_request_failed' }, 'event: must be one of pipeline_request_started'],
      [{ labels: manyLabels(33) }, 'labels: must have at most 32 pairs'],
      [{ enabled: 'no' }, 'enabled: must be a boolean'],
    ];
    for (const [body, expected] of cases) {
      const res = await h.call('PATCH', `${BASE}/patch-me`, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.startsWith(expected), res.json().error).toBe(true);
    }
    // Nothing was changed by the refused patches.
    expect((await h.call('GET', `${BASE}/patch-me`)).json()).toMatchObject({ ...valid, name: 'patch-me', timeout: 10 });
  });

  it('accepts http URLs when allowHttp is set', async () => {
    const lenient = await startApi({ allowHttp: true });
    try {
      const res = await lenient.call('POST', BASE, { ...valid, url: 'http://127.0.0.1:9999/hook' });
      expect(res.statusCode).toBe(201);
      const creds = await lenient.call('POST', BASE, { ...valid, name: 'w2', url: 'http://u:p@127.0.0.1/hook' });
      expect(creds.statusCode).toBe(400);
    } finally {
      await lenient.close();
    }
  });

  it('turns Fastify body errors into {"error"} with 400, 413 and 415, never echoing the body', async () => {
    const bad = await h.app.inject({
      method: 'POST',
      url: BASE,
      headers: { authorization: 'Token test-token-0123456789', 'content-type': 'application/json' },
      payload: '{"name": "w", "headers": [{"key": "Authorization", "value": "Token SECRET-VALUE"',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ error: 'body: must be valid JSON' });

    const proto = await h.app.inject({
      method: 'POST',
      url: BASE,
      headers: { authorization: 'Token test-token-0123456789', 'content-type': 'application/json' },
      payload: '{"__proto__": {"x": 1}}',
    });
    expect(proto.statusCode).toBe(400);
    expect(Object.keys(proto.json())).toEqual(['error']);

    const empty = await h.app.inject({
      method: 'POST',
      url: BASE,
      headers: { authorization: 'Token test-token-0123456789', 'content-type': 'application/json' },
      payload: '',
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error).toMatch(/^body: /);

    const noBody = await h.app.inject({
      method: 'POST',
      url: BASE,
      headers: { authorization: 'Token test-token-0123456789' },
    });
    expect(noBody.statusCode).toBe(400);
    expect(noBody.json()).toEqual({ error: 'body: required' });

    const text = await h.app.inject({
      method: 'POST',
      url: BASE,
      headers: { authorization: 'Token test-token-0123456789', 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expect(text.statusCode).toBe(415);
    expect(text.json()).toEqual({ error: 'Content-Type: must be application/json' });

    const large = await h.app.inject({
      method: 'POST',
      url: BASE,
      headers: { authorization: 'Token test-token-0123456789', 'content-type': 'application/json' },
      payload: JSON.stringify({ ...valid, description: 'x'.repeat(1100 * 1024) }),
    });
    expect(large.statusCode).toBe(413);
    expect(large.json().error).toMatch(/^body: must be at most \d+ bytes$/);
    expect(h.logs()).not.toContain('SECRET-VALUE');
  });
});
