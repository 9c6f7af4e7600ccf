/**
 * The UP42-style surface driven exactly as UP42's SDK (up42-py, `create_webhook` era) drives it,
 * over a real listening server with the real engine and a real receiver behind it: `Authorization:
 * Bearer <token>`, `Content-Type: application/json` and a JSON body on every call (`{}` when it has
 * nothing, GET and DELETE included), answers read from `response["data"]`, an update that sends all
 * five fields copied from `info` (so `secret: null`), and the catalog passed back as `events`.
 * Every successful answer is also checked against the schema our OpenAPI document declares.
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildProcessApp } from '../../../src/lifecycle/run.js';
import { type TestEngine, eventually, startTestEngine } from '../../helpers/engine.js';
import { type Receiver, startReceiver } from '../../helpers/index.js';
import { TEST_TOKEN } from '../../helpers/token.js';

const TOKEN = TEST_TOKEN;
const WORKSPACE = 'workspace-1';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const NEW_SECRET = 'a-plain-text-secret-for-rotation';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly json: { data: unknown; error: { code: number; message: string } | null };
}

/** `requests.request(method, url, json=data, headers=...)` as up42-py's `_request_helper` sends it. */
function sdkRequest(base: string, method: string, path: string, data: unknown = {}, token = TOKEN): Promise<Answer> {
  const body = JSON.stringify(data);
  const headers = {
    'content-type': 'application/json',
    authorization: `Bearer ${token}`,
    'cache-control': 'no-cache',
    'user-agent': 'up42-py/0.x python-requests/2.x',
    'content-length': String(Buffer.byteLength(body)),
  };
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, base), { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** What up42-py's `_request` does with an answer: raise on an HTTP error or on `error` set with `data` null. */
function dataOf(answer: Answer): unknown {
  if (answer.status >= 400) throw new Error(`HTTP ${answer.status}: ${answer.text}`);
  if (answer.json.error !== null && answer.json.data === null) throw new Error(`API error: ${JSON.stringify(answer.json.error)}`);
  return answer.json.data;
}

describe("UP42's SDK against the UP42-style surface", () => {
  let t: TestEngine;
  let app: FastifyInstance;
  let base: string;
  let receiver: Receiver;
  let doc: { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>; components: unknown };
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => !Number.isNaN(Date.parse(s)) });
  ajv.addFormat('uuid', /^[0-9a-f-]{36}$/);
  ajv.addFormat('uri', { type: 'string', validate: (s: string) => URL.canParse(s) });

  /** Checks an answer against the schema the document declares for (path template, method, status). */
  const checkDocumented = (template: string, method: string, answer: Answer) => {
    const schema = doc.paths[template]?.[method.toLowerCase()]?.responses[String(answer.status)]?.content?.['application/json']?.schema;
    expect(schema, `${method} ${template} documents ${answer.status}`).toBeDefined();
    const validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')));
    expect(validate(answer.json), `${method} ${template}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  };

  const hooks = `/workspaces/${WORKSPACE}/webhooks`;
  const call = async (method: string, template: string, id?: string, data?: unknown) => {
    const path = template.replace('{workspace_id}', WORKSPACE).replace('{id}', id ?? '');
    const answer = await sdkRequest(base, method, path, data);
    if (answer.status < 400) checkDocumented(template, method, answer);
    return answer;
  };

  beforeAll(async () => {
    t = await startTestEngine(inject('redisUrl'), { HOOKPOST_API_TOKENS: TOKEN });
    app = buildProcessApp(t.services);
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    receiver = await startReceiver();
    doc = JSON.parse((await sdkRequest(base, 'GET', '/v2.1/openapi.json')).text);
    ajv.addSchema({ $id: 'doc', components: doc.components });
  });
  afterAll(async () => {
    await app?.close();
    await receiver?.close();
    await t?.close();
  });

  it('catalog, create with a secret, list, info, update with secret null, trigger tests that complete, delete', async () => {
    // get_webhook_events()
    const catalog = dataOf(await call('GET', '/webhooks/events')) as Array<{ name: string; object_type: string; description: string }>;
    expect(catalog).toHaveLength(8);
    for (const e of catalog) {
      expect(e.name).toMatch(/^(deployment|pipeline)_request_(started|completed|failed|finished)$/);
      expect(e.object_type).toBe(e.name.split('_')[0]);
      expect(e.description).toMatch(/^A request to a \w+ .+\.$/);
      expect(e.description).not.toContain('\n');
    }
    // The /v2.1 form: the same list, without envelope.
    expect(JSON.parse((await sdkRequest(base, 'GET', '/v2.1/webhooks/events')).text)).toEqual(catalog);

    // create_webhook(name, url, events=<the catalog as it came>, secret=...): active defaults to False.
    const createdAnswer = await call('POST', '/workspaces/{workspace_id}/webhooks', undefined, {
      name: 'My UP42 webhook',
      url: `${receiver.url}/up42`,
      events: catalog,
      secret: SECRET,
      active: false,
    });
    expect(createdAnswer.status).toBe(201);
    const created = dataOf(createdAnswer) as Record<string, unknown>;
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      workspaceId: WORKSPACE,
      name: 'My UP42 webhook',
      url: `${receiver.url}/up42`,
      events: catalog.map((e) => e.name),
      active: false,
      secret: null,
      createdAt: expect.stringMatching(/Z$/),
      updatedAt: created.createdAt,
      scope: null,
    });
    expect(createdAnswer.text).not.toContain(SECRET);
    const id = created.id as string;
    // Names are free text here; the same name again is a conflict.
    const taken = await call('POST', '/workspaces/{workspace_id}/webhooks', undefined, { name: 'My UP42 webhook', url: `${receiver.url}/x`, events: ['deployment_request_started'] });
    expect(taken.status).toBe(409);
    expect(taken.json).toEqual({ data: null, error: { code: 409, message: 'name: a webhook named "My UP42 webhook" already exists' } });

    // get_webhooks(): GET with {} as body.
    expect(dataOf(await call('GET', '/workspaces/{workspace_id}/webhooks'))).toEqual([created]);

    // Webhook.info, then update(active=True): the SDK copies the other fields from info, secret (null) included.
    const info = dataOf(await call('GET', '/workspaces/{workspace_id}/webhooks/{id}', id)) as Record<string, unknown>;
    expect(info).toEqual(created);
    expect(Object.hasOwn(info, 'secret')).toBe(true);
    const putAnswer = await call('PUT', '/workspaces/{workspace_id}/webhooks/{id}', id, {
      name: info.name,
      url: info.url,
      events: ['deployment_request_completed', 'pipeline_request_failed'],
      active: true,
      secret: info.secret,
    });
    const updated = dataOf(putAnswer) as Record<string, unknown>;
    expect(updated).toMatchObject({ id, active: true, events: ['deployment_request_completed', 'pipeline_request_failed'], secret: null });
    expect(Date.parse(updated.updatedAt as string)).toBeGreaterThan(Date.parse(created.updatedAt as string));
    expect((await t.services.registry.getById(WORKSPACE, id))?.secret).toEqual({ current: SECRET, previous: null, rotatedAt: null });

    // It is delivered to: an event of any deployment of the workspace, any version.
    await t.publishSettled({
      project: WORKSPACE,
      object_type: 'deployment',
      object_name: 'any-deployment',
      version: 'v9',
      request_id: 'req-up42-1',
      status: 'completed',
    });
    expect(receiver.requests.map((r) => JSON.parse(r.body.toString()).event)).toEqual(['deployment_request_completed']);
    receiver.requests.length = 0;

    // A new secret replaces the old one, which keeps signing for 24 h.
    dataOf(
      await call('PUT', '/workspaces/{workspace_id}/webhooks/{id}', id, {
        name: info.name,
        url: info.url,
        events: updated.events,
        active: true,
        secret: NEW_SECRET,
      }),
    );
    expect((await t.services.registry.getById(WORKSPACE, id))?.secret).toMatchObject({ current: NEW_SECRET, previous: SECRET });

    // trigger_test_events(): POST with {} as body; one entry per subscribed event, each completing.
    const testsAnswer = await call('POST', '/workspaces/{workspace_id}/webhooks/{id}/tests', id);
    expect(testsAnswer.status).toBe(201);
    const tests = dataOf(testsAnswer) as Array<{ id: string; event: string; status: string; errorMessage: null }>;
    expect(tests.map((x) => [x.event, x.status, x.errorMessage])).toEqual([
      ['deployment_request_completed', 'pending', null],
      ['pipeline_request_failed', 'pending', null],
    ]);
    for (const test of tests) {
      const status = await eventually(async () => {
        const res = await sdkRequest(base, 'GET', `/v2.1/projects/${WORKSPACE}/webhooks-tests/${test.id}`);
        const detail = JSON.parse(res.text) as { status: string };
        return detail.status === 'pending' ? undefined : detail.status;
      }, 10_000, `test ${test.id}`);
      expect(status).toBe('completed');
    }
    const sent = receiver.requests.map((r) => JSON.parse(r.body.toString()) as Record<string, unknown>);
    expect(sent.map((b) => b.event).sort()).toEqual(['deployment_request_completed', 'pipeline_request_failed']);
    expect(sent.find((b) => b.event === 'pipeline_request_failed')?.pipeline_name).toBe('test-pipeline');
    expect(sent.find((b) => b.event === 'deployment_request_completed')?.deployment_name).toBe('test-deployment');
    // The secret is nowhere in test records, logs or answers.
    for (const test of tests) {
      const record = JSON.stringify(await t.services.redis.hgetall(t.services.keys.webhookTest(WORKSPACE, test.id)));
      // Settled: only the status is left, the tested configuration is deleted.
      expect(record).toContain('completed');
      expect(record).not.toContain('config');
      expect(record).not.toContain(NEW_SECRET);
      expect(record).not.toContain(SECRET);
    }
    expect(t.logText()).not.toContain(NEW_SECRET);
    expect(t.logText()).not.toContain(SECRET);

    // Not on the /v2.1 surface, which shows webhooks on one object only.
    expect(JSON.parse((await sdkRequest(base, 'GET', `/v2.1/projects/${WORKSPACE}/webhooks`)).text)).toEqual([]);

    // delete(): DELETE with {} as body.
    const deleted = await call('DELETE', '/workspaces/{workspace_id}/webhooks/{id}', id);
    expect(deleted.status).toBe(200);
    expect(deleted.json).toEqual({ data: null, error: null });
    const gone = await call('GET', '/workspaces/{workspace_id}/webhooks/{id}', id);
    expect(gone.status).toBe(404);
    expect(gone.json).toEqual({ data: null, error: { code: 404, message: 'webhook not found' } });
    expect(() => dataOf(gone)).toThrow(/404/);
  });

  it('answers errors in the envelope with the HTTP status: 400 naming the field, 401, 404', async () => {
    const error = (answer: Answer, code: number) => {
      expect(answer.status, answer.text).toBe(code);
      expect(answer.json.data).toBeNull();
      expect(answer.json.error).toEqual({ code, message: expect.any(String) });
      return answer.json.error?.message ?? '';
    };
    const create = (body: Record<string, unknown>) => sdkRequest(base, 'POST', hooks, { name: 'e', url: `${receiver.url}/e`, events: ['deployment_request_started'], ...body });

    expect(error(await create({ events: [] }), 400)).toBe('events: must have at least one event');
    expect(error(await create({ events: ['order.status'] }), 400)).toMatch(/^events\[0\]: must be one of deployment_request_started/);
    expect(error(await create({ events: [{ name: 'job.status' }] }), 400)).toMatch(/^events\[0\]: must be one of/);
    expect(error(await create({ secret: 'whsec_!!' }), 400)).toMatch(/^secret: .*base64/);
    expect(error(await create({ secret: 'x'.repeat(257) }), 400)).toBe('secret: must be 1-256 characters');
    expect(error(await create({ url: 'ftp://x' }), 400)).toMatch(/^url: /);
    expect(error(await create({ enabled: true }), 400)).toBe('enabled: unknown field');
    expect(error(await create({ name: undefined }), 400)).toBe('name: required');
    expect(error(await sdkRequest(base, 'GET', '/workspaces/Not_A_Name/webhooks'), 400)).toMatch(/^workspace_id: /);
    const put = await sdkRequest(base, 'PUT', `${hooks}/00000000-0000-4000-8000-000000000000`, { name: 'n', url: `${receiver.url}/n`, events: ['deployment_request_started'], active: true, secret: null });
    error(put, 404);

    for (const token of ['wrong-token-0123456789', '']) {
      const unauthorized = await sdkRequest(base, 'GET', hooks, {}, token);
      error(unauthorized, 401);
      expect(unauthorized.headers['www-authenticate']).toBe('Bearer');
    }
    error(await sdkRequest(base, 'GET', '/webhooks/events', {}, 'nope'), 401);
    error(await sdkRequest(base, 'GET', `${hooks}/not-a-uuid`), 404);
    error(await sdkRequest(base, 'DELETE', `${hooks}/00000000-0000-4000-8000-000000000000`), 404);
    error(await sdkRequest(base, 'POST', `${hooks}/00000000-0000-4000-8000-000000000000/tests`), 404);
    expect(error(await sdkRequest(base, 'PATCH', `${hooks}/00000000-0000-4000-8000-000000000000`), 404)).toBe('no such endpoint');
  });

  it('shows webhooks made on the /v2.1 surface with their scope, and keeps their names addressable there', async () => {
    const scoped = await t.services.registry.create(WORKSPACE, {
      name: 'scoped-hook',
      url: `${receiver.url}/scoped`,
      object_type: 'pipeline',
      object_name: 'pipe-1',
      event: 'pipeline_request_finished',
    });
    try {
      const info = dataOf(await call('GET', '/workspaces/{workspace_id}/webhooks/{id}', scoped.id)) as Record<string, unknown>;
      expect(info).toMatchObject({ name: 'scoped-hook', active: true, scope: { object_type: 'pipeline', object_name: 'pipe-1', version: null } });
      const rename = await sdkRequest(base, 'PUT', `${hooks}/${scoped.id}`, {
        name: 'Scoped Hook',
        url: info.url,
        events: info.events,
        active: true,
        secret: null,
      });
      expect(rename.json.error?.message).toMatch(/^name: /);
      const wrongType = await sdkRequest(base, 'PUT', `${hooks}/${scoped.id}`, { name: 'scoped-hook', url: info.url, events: ['deployment_request_started'], active: true, secret: null });
      expect(wrongType.json.error).toEqual({ code: 400, message: expect.stringMatching(/^events\[0\]: must be one of pipeline_request_/) });
    } finally {
      await t.services.registry.removeById(WORKSPACE, scoped.id);
    }
  });
});
