import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SEED_WEBHOOK_CREATE } from '../../fixtures/seed-webhook.js';
import { TEST_AUTH as AUTH, type ApiHarness as Harness, startApi } from '../../helpers/app.js';

const BASE = '/v2.1/projects/project-1/webhooks';

const SEED_CREATE = SEED_WEBHOOK_CREATE;

const minimal = (overrides: Record<string, unknown> = {}) => ({
  name: 'w',
  url: 'https://example.com/hook',
  object_type: 'deployment',
  object_name: 'deployment-1',
  event: 'deployment_request_failed',
  ...overrides,
});

describe('webhooks API', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startApi();
  });
  afterEach(async () => {
    await h.close();
  });

  it('creates the seed example (201) with defaults and the protected value hidden', async () => {
    const res = await h.call('POST', BASE, SEED_CREATE);
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      name: 'webhook-1',
      url: 'https://callback-url-webhook-1.com',
      headers: [{ key: 'Authorization', value: null, protected: true }],
      object_type: 'deployment',
      object_name: 'deployment-1',
      version: 'v1',
      description: '',
      labels: {},
      event: 'deployment_request_finished',
      events: ['deployment_request_finished'],
      timeout: 10,
      enabled: true,
      retry: false,
      include_result: false,
      secret: null,
      creation_date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      last_updated: body.creation_date,
    });
    expect(res.body).not.toContain('Token 123');
    // Stored with the secret, for the delivery engine.
    expect((await h.deps.registry.getById('project-1', body.id))?.headers[0]?.value).toBe('Token 123');
    // Without version: null (the default version).
    const second = await h.call('POST', BASE, minimal({ name: 'webhook-2', timeout: 15 }));
    expect(second.json()).toMatchObject({ version: null, timeout: 15, headers: [] });
  });

  it('gets, lists, renames (seed example) and deletes', async () => {
    const created = (await h.call('POST', BASE, { ...SEED_CREATE, labels: { 'event-type': 'request-finished' } })).json();
    const get = await h.call('GET', `${BASE}/webhook-1`);
    expect(get.statusCode).toBe(200);
    expect(get.json()).toEqual(created);

    const list = await h.call('GET', BASE);
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual([created]);
    expect(list.body).not.toContain('Token 123');

    const patched = await h.call('PATCH', `${BASE}/webhook-1`, { name: 'new-webhook-name' });
    expect(patched.statusCode).toBe(200);
    const renamed = patched.json();
    // The rename keeps creation_date and moves last_updated.
    expect(renamed).toEqual({ ...created, name: 'new-webhook-name', last_updated: expect.any(String) });
    expect(Date.parse(renamed.last_updated)).toBeGreaterThan(Date.parse(created.last_updated));
    expect((await h.call('GET', `${BASE}/webhook-1`)).statusCode).toBe(404);
    expect((await h.call('GET', `${BASE}/new-webhook-name`)).json()).toEqual(renamed);

    const del = await h.call('DELETE', `${BASE}/new-webhook-name`);
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');
    expect((await h.call('GET', `${BASE}/new-webhook-name`)).statusCode).toBe(404);
    expect((await h.call('GET', BASE)).json()).toEqual([]);
  });

  it('answers 404 with an error body for unknown webhooks', async () => {
    for (const [method, url, body] of [
      ['GET', `${BASE}/nope`, undefined],
      ['PATCH', `${BASE}/nope`, { enabled: false }],
      ['DELETE', `${BASE}/nope`, undefined],
      ['GET', `${BASE}/Not_A_Name`, undefined],
      ['GET', '/v2.1/projects/project-1/nothing-here', undefined],
    ] as const) {
      const res = await h.call(method, url, body);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json()).toEqual({ error: expect.any(String) });
    }
    expect((await h.call('GET', `${BASE}/nope`)).json().error).toContain('not found');
  });

  it('answers 409 for a duplicate name and for a rename onto a taken name', async () => {
    expect((await h.call('POST', BASE, minimal({ name: 'a' }))).statusCode).toBe(201);
    expect((await h.call('POST', BASE, minimal({ name: 'b' }))).statusCode).toBe(201);
    const dup = await h.call('POST', BASE, minimal({ name: 'a' }));
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error).toMatch(/^name: /);
    const rename = await h.call('PATCH', `${BASE}/b`, { name: 'a' });
    expect(rename.statusCode).toBe(409);
    expect((await h.call('GET', `${BASE}/b`)).statusCode).toBe(200);
    // Same name in another project is fine.
    expect((await h.call('POST', '/v2.1/projects/project-2/webhooks', minimal({ name: 'a' }))).statusCode).toBe(201);
  });

  it('lets exactly one of 50 parallel HTTP creates of one name succeed', async () => {
    const codes = await Promise.all(
      Array.from({ length: 50 }, (_, i) => h.call('POST', BASE, minimal({ url: `https://h${i}.example.com` }))),
    );
    expect(codes.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(codes.filter((r) => r.statusCode === 409)).toHaveLength(49);
  });

  it('updates partially, replaces headers, and keeps a protected value sent as null', async () => {
    const created = (
      await h.call('POST', BASE, {
        ...SEED_CREATE,
        headers: [
          { key: 'Authorization', value: 'Token 123', protected: true },
          { key: 'X-Team', value: 'ml' },
        ],
        labels: { a: '1' },
        description: 'first',
      })
    ).json();
    expect(created.headers).toEqual([
      { key: 'Authorization', value: null, protected: true },
      { key: 'X-Team', value: 'ml', protected: false },
    ]);

    // Send back what GET showed, changing only the plain header: the secret is kept.
    const res = await h.call('PATCH', `${BASE}/webhook-1`, {
      headers: [
        { key: 'authorization', value: null, protected: true },
        { key: 'X-Team', value: 'ops', protected: false },
      ],
      timeout: 30,
      retry: true,
      include_result: true,
      enabled: false,
      url: 'https://elsewhere.example.com/x?y=1',
      keep_secrets: true,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      ...created,
      headers: [
        { key: 'authorization', value: null, protected: true },
        { key: 'X-Team', value: 'ops', protected: false },
      ],
      timeout: 30,
      retry: true,
      include_result: true,
      enabled: false,
      url: 'https://elsewhere.example.com/x?y=1',
      last_updated: expect.any(String),
    });
    expect(res.body).not.toContain('Token 123');
    const stored = await h.deps.registry.getById('project-1', created.id);
    expect(stored?.headers).toEqual([
      { key: 'authorization', value: 'Token 123', protected: true },
      { key: 'X-Team', value: 'ops', protected: false },
    ]);
    expect(stored?.description).toBe('first');
    expect(stored?.labels).toEqual({ a: '1' });

    // value null for a header that is not a stored protected one: 400, nothing changed.
    const bad = await h.call('PATCH', `${BASE}/webhook-1`, { headers: [{ key: 'X-Team', value: null, protected: true }] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/^headers\[0\]\.value: /);
    const unprotect = await h.call('PATCH', `${BASE}/webhook-1`, {
      headers: [{ key: 'Authorization', value: null, protected: false }],
    });
    expect(unprotect.statusCode).toBe(400);
    expect((await h.deps.registry.getById('project-1', created.id))?.headers[0]?.value).toBe('Token 123');

    // value omitted (generated clients drop nulls) keeps it too; on a new protected key it is a 400.
    const omitted = await h.call('PATCH', `${BASE}/webhook-1`, { headers: [{ key: 'Authorization', protected: true }] });
    expect(omitted.statusCode).toBe(200);
    expect(omitted.json().headers).toEqual([{ key: 'Authorization', value: null, protected: true }]);
    expect((await h.deps.registry.getById('project-1', created.id))?.headers[0]?.value).toBe('Token 123');
    const newKey = await h.call('PATCH', `${BASE}/webhook-1`, { headers: [{ key: 'X-Secret', protected: true }] });
    expect(newKey.statusCode).toBe(400);
    expect(newKey.json().error).toMatch(/^headers\[0\]\.value: required/);
    const plainOmitted = await h.call('PATCH', `${BASE}/webhook-1`, { headers: [{ key: 'X-Team' }] });
    expect(plainOmitted.statusCode).toBe(400);
    expect(plainOmitted.json().error).toMatch(/^headers\[0\]\.value: required/);
    expect((await h.deps.registry.getById('project-1', created.id))?.headers[0]?.value).toBe('Token 123');

    // An empty patch changes nothing; an empty header list removes them all.
    expect((await h.call('PATCH', `${BASE}/webhook-1`, {})).statusCode).toBe(200);
    expect((await h.call('PATCH', `${BASE}/webhook-1`, { headers: [] })).json().headers).toEqual([]);
    expect((await h.deps.registry.getById('project-1', created.id))?.headers).toEqual([]);
    expect(h.logs()).not.toContain('Token 123');
  });

  it('moves a webhook with the object_name/version/object_type extensions and checks event on PATCH', async () => {
    await h.call('POST', BASE, SEED_CREATE);
    const wrongEvent = await h.call('PATCH', `${BASE}/webhook-1`, { event: 'pipeline_request_failed' });
    expect(wrongEvent.statusCode).toBe(400);
    expect(wrongEvent.json().error).toMatch(/^event: must be one of deployment_request_started/);
    const wrongType = await h.call('PATCH', `${BASE}/webhook-1`, { object_type: 'pipeline' });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json().error).toMatch(/^event: /);

    const moved = await h.call('PATCH', `${BASE}/webhook-1`, {
      object_type: 'pipeline',
      object_name: 'pipeline-1',
      event: 'pipeline_request_started',
      version: null,
    });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({
      object_type: 'pipeline',
      object_name: 'pipeline-1',
      event: 'pipeline_request_started',
      version: null,
    });
    const candidates = await h.deps.registry.findCandidates('project-1', 'pipeline', 'pipeline-1', [
      'pipeline_request_started',
    ]);
    expect(candidates.map((w) => w.name)).toEqual(['webhook-1']);
  });

  it('lists with labels, object_type and event filters, alone and combined', async () => {
    await h.call('POST', BASE, minimal({ name: 'a', labels: { team: 'ml', env: 'prod' } }));
    await h.call('POST', BASE, minimal({ name: 'b', labels: { team: 'ml' }, event: 'deployment_request_started' }));
    await h.call(
      'POST',
      BASE,
      minimal({ name: 'c', labels: { team: 'ml' }, object_type: 'pipeline', event: 'pipeline_request_failed' }),
    );
    await h.call('POST', BASE, minimal({ name: 'd', labels: { team: 'ops' } }));
    const names = async (query: string) => {
      const res = await h.call('GET', `${BASE}${query}`);
      expect(res.statusCode, query).toBe(200);
      return (res.json() as Array<{ name: string }>).map((w) => w.name);
    };
    expect(await names('')).toEqual(['a', 'b', 'c', 'd']);
    expect(await names('?labels=team:ml')).toEqual(['a', 'b', 'c']);
    expect(await names('?labels=team:ml,env:prod')).toEqual(['a']);
    expect(await names('?object_type=pipeline')).toEqual(['c']);
    expect(await names('?event=deployment_request_failed')).toEqual(['a', 'd']);
    expect(await names('?labels=team:ml&object_type=deployment')).toEqual(['a', 'b']);
    expect(await names('?labels=team:ml&object_type=deployment&event=deployment_request_started')).toEqual(['b']);
    expect(await names('?labels=team:none')).toEqual([]);

    for (const query of ['?labels=team', '?labels=:x', '?object_type=model', '?event=deployment_request_exploded']) {
      const res = await h.call('GET', `${BASE}${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error, query).toMatch(/^(labels|object_type|event): /);
    }
  });

  it('answers 400 for an invalid project name', async () => {
    const res = await h.call('GET', '/v2.1/projects/Bad_Project/webhooks');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(/^project_name: /);
  });

  it('never logs header values or tokens', async () => {
    await h.call('POST', BASE, { ...SEED_CREATE, headers: [{ key: 'X-Secret', value: 'visible-secret-xyz', protected: false }] });
    await h.call('PATCH', `${BASE}/webhook-1`, { headers: [{ key: 'X-Secret', value: 'other-secret-xyz' }] });
    await h.call('GET', BASE);
    const logs = h.logs();
    expect(logs).toContain('webhook created');
    expect(logs).not.toContain('secret-xyz');
    expect(logs).not.toContain('test-token-0123456789');
  });

  it('shows a description stored while the limit was 1024 clipped to 400, never splitting a character', async () => {
    await h.deps.registry.create('project-1', { ...SEED_CREATE, description: `${'d'.repeat(399)}😀${'e'.repeat(600)}` });
    await h.deps.registry.create('project-1', { ...SEED_CREATE, name: 'webhook-2', description: 'f'.repeat(1024) });
    const [first, second] = (await h.call('GET', BASE)).json();
    expect(first.description).toBe('d'.repeat(399));
    expect(second.description).toBe('f'.repeat(400));
    // The record itself keeps the whole text.
    expect((await h.deps.registry.get('project-1', 'webhook-2'))?.description).toHaveLength(1024);
  });

  it('logs request paths without their query string, so a token put there is never logged', async () => {
    const token = 'query-token-secret-0042';
    for (const url of [
      `${BASE}?token=${token}`,
      `${BASE}/webhook-1?api_key=${token}`,
      `/v2.1/no-such-endpoint?token=${token}`,
      `/healthz?token=${token}`,
    ]) {
      await h.app.inject({ method: 'GET', url, headers: AUTH });
    }
    await h.app.inject({ method: 'GET', url: `${BASE}?token=${token}` });
    const lines = h
      .logs()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { msg: string; req?: { method: string; path: string; url?: string } });
    // Every line that describes a request names its path without the query (reads that succeed are
    // logged at debug, this harness's level, so each request has such a line).
    const described = lines.filter((l) => l.req !== undefined);
    expect(new Set(described.map((l) => l.req?.path))).toEqual(new Set([BASE, `${BASE}/webhook-1`, '/v2.1/no-such-endpoint', '/healthz']));
    expect(described.every((l) => l.req?.method === 'GET' && l.req.url === undefined && !l.req.path.includes('?'))).toBe(true);
    expect(h.logs()).not.toContain(token);
    expect(h.logs()).not.toContain('token=');
  });
});
