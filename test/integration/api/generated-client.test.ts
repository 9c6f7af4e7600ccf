/**
 * The API driven the way a client generated from an OpenAPI document (openapi-generator, as
 * UbiOps's own Python library is) drives it, over a real listening server with the real engine
 * behind it: null fields dropped from bodies, `Accept` and `Content-Type: application/json` on
 * every call (GET and DELETE included), no body on GET and DELETE, unknown response fields ignored,
 * and every response checked against UbiOps's limits and against the schemas of our own document.
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProcessApp } from '../../../src/lifecycle/run.js';
import { type TestEngine, startTestEngine } from '../../helpers/engine.js';
import { type Receiver, startReceiver } from '../../helpers/index.js';
import { inject } from 'vitest';
import { TEST_TOKEN } from '../../helpers/token.js';

const TOKEN = TEST_TOKEN;
const PROJECT = 'project-1';
const SECRET = 'Token generated-client-secret-77';

interface RawResponse {
  readonly status: number;
  readonly text: string;
}

/**
 * One HTTP exchange with full control of the headers: node:http adds no framing header to a GET or
 * DELETE without a body; a body gets a Content-Length unless the caller chose chunked.
 */
function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<RawResponse> {
  const framed =
    body === undefined || headers['transfer-encoding'] !== undefined
      ? headers
      : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, base), { method, headers: framed }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** What openapi-generator's serializers do: fields whose value is null are not sent. */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, dropNulls(v)]),
  );
}

// ---- What UbiOps's generated models check when they read a response (the UbiOps API reference and its client).

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$/;

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`client refused the response: ${message}`);
}

interface WebhookHeaderModel {
  key: string;
  value: string | null;
  protected: boolean;
}

interface WebhookDetailModel {
  id: string;
  name: string;
  url: string;
  headers: WebhookHeaderModel[];
  object_type: string;
  object_name: string;
  version: string | null;
  description: string;
  labels: Record<string, string>;
  event: string;
  timeout: number;
  enabled: boolean;
  retry: boolean;
  include_result: boolean;
  creation_date: string;
  last_updated: string;
}

const str = (v: unknown): v is string => typeof v === 'string';

/** Reads a `WebhookDetail` as the generated model does: known fields only, each checked. */
function readWebhookDetail(raw: unknown): WebhookDetailModel {
  check(typeof raw === 'object' && raw !== null && !Array.isArray(raw), 'WebhookDetail must be an object');
  const o = raw as Record<string, unknown>;
  check(str(o.name) && o.name.length >= 1 && o.name.length <= 64, 'name: length 1-64');
  check(str(o.url), 'url: must not be None');
  check(str(o.event), 'event: must not be None');
  check(str(o.id), 'id: string');
  check(o.description === undefined || (str(o.description) && o.description.length <= 400), 'description: at most 400');
  check(str(o.object_type) && str(o.object_name), 'object_type, object_name: strings');
  check(o.version === null || str(o.version), 'version: string or null');
  check(Array.isArray(o.headers), 'headers: list');
  const headers = (o.headers as unknown[]).map((h): WebhookHeaderModel => {
    const x = h as Record<string, unknown>;
    check(str(x.key) && x.key.length >= 1, 'headers.key: length at least 1');
    check(x.value === null || x.value === undefined || (str(x.value) && x.value.length >= 1), 'headers.value: at least 1');
    check(typeof x.protected === 'boolean', 'headers.protected: must not be None');
    return { key: x.key as string, value: (x.value as string | undefined) ?? null, protected: x.protected as boolean };
  });
  check(typeof o.labels === 'object' && o.labels !== null, 'labels: dict');
  check(Number.isInteger(o.timeout), 'timeout: integer');
  for (const f of ['enabled', 'retry', 'include_result']) check(typeof o[f] === 'boolean', `${f}: boolean`);
  for (const f of ['creation_date', 'last_updated']) {
    check(str(o[f]) && ISO_UTC.test(o[f]) && !Number.isNaN(Date.parse(o[f])), `${f}: ISO-8601 UTC date-time`);
  }
  return {
    id: o.id as string,
    name: o.name as string,
    url: o.url as string,
    headers,
    object_type: o.object_type as string,
    object_name: o.object_name as string,
    version: o.version as string | null,
    description: o.description as string,
    labels: o.labels as Record<string, string>,
    event: o.event as string,
    timeout: o.timeout as number,
    enabled: o.enabled as boolean,
    retry: o.retry as boolean,
    include_result: o.include_result as boolean,
    creation_date: o.creation_date as string,
    last_updated: o.last_updated as string,
  };
}

interface WebhookTestDetailModel {
  id: string;
  status: string;
  error_message: string | null;
}

function readWebhookTestDetail(raw: unknown): WebhookTestDetailModel {
  const o = raw as Record<string, unknown>;
  check(str(o.id), 'id: must not be None');
  check(str(o.status) && ['pending', 'completed', 'failed'].includes(o.status), 'status: pending, completed or failed');
  check(o.error_message === null || o.error_message === undefined || str(o.error_message), 'error_message: string');
  return { id: o.id as string, status: o.status as string, error_message: (o.error_message as string | undefined) ?? null };
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * A client generated from our own document: validates each response body against the schema the
 * document declares for that operation and status (JSON Schema 2020-12).
 */
function createDocumentChecker(doc: Record<string, unknown>) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => ISO_UTC.test(s) });
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  ajv.addFormat('uri', { type: 'string', validate: (s: string) => URL.canParse(s) });
  ajv.addSchema({ $id: 'doc', components: (doc as { components: unknown }).components });
  const paths = doc.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>;
  return (template: string, method: Method, status: number, body: unknown) => {
    const response = paths[template]?.[method.toLowerCase()]?.responses[String(status)] as
      | { content?: { 'application/json'?: { schema: unknown } } }
      | undefined;
    expect(response, `${method} ${template} documents ${status}`).toBeDefined();
    const schema = response?.content?.['application/json']?.schema;
    if (schema === undefined) return;
    const validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')));
    expect(validate(body), `${method} ${template} ${status}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  };
}

describe('a generated client', () => {
  let t: TestEngine;
  let app: FastifyInstance;
  let base: string;
  let receiver: Receiver;
  let checkDocument: ReturnType<typeof createDocumentChecker>;

  const clientHeaders = {
    accept: 'application/json',
    'content-type': 'application/json',
    authorization: `Token ${TOKEN}`,
    'user-agent': 'OpenAPI-Generator/1.0/python',
  };

  /** One operation, sent as a generated client sends it; the response body parsed (or null). */
  const call = async (method: Method, template: string, params: Record<string, string>, body?: object) => {
    let path = template;
    for (const [name, value] of Object.entries(params)) path = path.replace(`{${name}}`, encodeURIComponent(value));
    const res = await send(base, method, path, clientHeaders, body === undefined ? undefined : JSON.stringify(dropNulls(body)));
    const data: unknown = res.text === '' ? null : JSON.parse(res.text);
    if (res.status < 400) checkDocument(template.split('?')[0] ?? template, method, res.status, data);
    return { status: res.status, data, text: res.text };
  };

  const WEBHOOKS = '/v2.1/projects/{project_name}/webhooks';
  const WEBHOOK = '/v2.1/projects/{project_name}/webhooks/{webhook_name}';
  const TESTS = '/v2.1/projects/{project_name}/webhooks-tests';
  const TEST = '/v2.1/projects/{project_name}/webhooks-tests/{test_id}';

  beforeAll(async () => {
    t = await startTestEngine(inject('redisUrl'), { HOOKPOST_API_TOKENS: TOKEN });
    app = buildProcessApp(t.services);
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    receiver = await startReceiver((req) => ({ status: req.path.includes('fail') ? 500 : 204 }));
    const doc = await send(base, 'GET', '/v2.1/openapi.json', { accept: 'application/json' });
    checkDocument = createDocumentChecker(JSON.parse(doc.text));
  });
  afterAll(async () => {
    await app?.close();
    await receiver?.close();
    await t?.close();
  });

  it('creates, lists with filters, reads, renames keeping a protected header, and deletes', async () => {
    const p = { project_name: PROJECT };
    // WebhookCreate as the model holds it: unset optional fields are None and are not sent.
    const created = await call('POST', WEBHOOKS, p, {
      name: 'generated-1',
      url: `${receiver.url}/hook`,
      headers: [
        { key: 'Authorization', value: SECRET, protected: true },
        { key: 'X-Team', value: 'ml', protected: false },
      ],
      object_type: 'deployment',
      object_name: 'deployment-1',
      version: null,
      description: 'd'.repeat(400),
      labels: { team: 'ml', env: 'prod' },
      event: 'deployment_request_completed',
      timeout: null,
      enabled: null,
      retry: null,
      include_result: null,
    });
    expect(created.status, created.text).toBe(201);
    const detail = readWebhookDetail(created.data);
    expect(detail).toMatchObject({
      name: 'generated-1',
      version: null,
      timeout: 10,
      enabled: true,
      retry: false,
      include_result: false,
      headers: [
        { key: 'Authorization', value: null, protected: true },
        { key: 'X-Team', value: 'ml', protected: false },
      ],
    });
    expect(detail.last_updated).toBe(detail.creation_date);
    expect(created.text).not.toContain(SECRET);
    await call('POST', WEBHOOKS, p, {
      name: 'generated-2',
      url: `${receiver.url}/other`,
      object_type: 'pipeline',
      object_name: 'pipeline-1',
      labels: { team: 'ops' },
      event: 'pipeline_request_failed',
    });

    // A description the UbiOps client would refuse is refused here too.
    const tooLong = await call('POST', WEBHOOKS, p, {
      name: 'generated-3',
      url: `${receiver.url}/hook`,
      object_type: 'deployment',
      object_name: 'deployment-1',
      event: 'deployment_request_completed',
      description: 'd'.repeat(401),
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.data).toEqual({ error: 'description: must be at most 400 characters' });

    const list = async (query: string) => {
      const res = await call('GET', `${WEBHOOKS}${query}`, p);
      expect(res.status, res.text).toBe(200);
      expect(Array.isArray(res.data)).toBe(true);
      return (res.data as unknown[]).map(readWebhookDetail).map((w) => w.name);
    };
    expect(await list('')).toEqual(['generated-1', 'generated-2']);
    expect(await list('?labels=team:ml')).toEqual(['generated-1']);
    expect(await list('?labels=team:ml,env:prod&object_type=deployment')).toEqual(['generated-1']);
    expect(await list('?object_type=pipeline')).toEqual(['generated-2']);
    expect(await list('?event=pipeline_request_failed')).toEqual(['generated-2']);
    expect(await list('?labels=team:nobody')).toEqual([]);

    const got = await call('GET', WEBHOOK, { ...p, webhook_name: 'generated-1' });
    expect(got.status).toBe(200);
    expect(readWebhookDetail(got.data)).toEqual(detail);

    // The usual round trip: read, change the name, send the model back. The protected header's value
    // reads None and is therefore dropped from the body: the stored secret must be kept.
    const patched = await call('PATCH', WEBHOOK, { ...p, webhook_name: 'generated-1' }, {
      name: 'generated-renamed',
      headers: readWebhookDetail(got.data).headers,
      description: null,
    });
    expect(patched.status, patched.text).toBe(200);
    const renamed = readWebhookDetail(patched.data);
    expect(renamed).toMatchObject({ name: 'generated-renamed', id: detail.id, creation_date: detail.creation_date });
    expect(renamed.headers).toEqual(detail.headers);
    expect(Date.parse(renamed.last_updated)).toBeGreaterThan(Date.parse(detail.last_updated));
    const stored = await t.services.registry.getById(PROJECT, detail.id);
    expect(stored?.headers[0]).toEqual({ key: 'Authorization', value: SECRET, protected: true });
    expect((await call('GET', WEBHOOK, { ...p, webhook_name: 'generated-1' })).status).toBe(404);

    // A new protected header without a value has nothing to keep: 400 naming the field.
    const newSecret = await call('PATCH', WEBHOOK, { ...p, webhook_name: 'generated-renamed' }, {
      headers: [{ key: 'X-New-Secret', value: null, protected: true }],
    });
    expect(newSecret.status).toBe(400);
    expect((newSecret.data as { error: string }).error).toMatch(/^headers\[0\]\.value: required/);

    // DELETE with Content-Type: application/json and no body.
    const deleted = await call('DELETE', WEBHOOK, { ...p, webhook_name: 'generated-renamed' });
    expect(deleted.status, deleted.text).toBe(204);
    expect(deleted.text).toBe('');
    expect((await call('GET', WEBHOOK, { ...p, webhook_name: 'generated-renamed' })).status).toBe(404);
    expect(await list('')).toEqual(['generated-2']);
  });

  it('creates webhook tests and polls them to completed and to failed', async () => {
    const p = { project_name: PROJECT };
    const poll = async (id: string): Promise<WebhookTestDetailModel> => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const res = await call('GET', TEST, { ...p, test_id: id });
        expect(res.status, res.text).toBe(200);
        const detail = readWebhookTestDetail(res.data);
        if (detail.status !== 'pending' || Date.now() > deadline) return detail;
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    const start = async (path: string) => {
      const res = await call('POST', TESTS, p, {
        url: `${receiver.url}${path}`,
        object_type: 'deployment',
        object_name: 'deployment-1',
        event: 'deployment_request_finished',
        headers: [{ key: 'Authorization', value: SECRET, protected: true }],
        version: null,
        timeout: null,
        retry: null,
        include_result: null,
      });
      expect(res.status, res.text).toBe(201);
      const detail = readWebhookTestDetail(res.data);
      expect(detail).toEqual({ id: detail.id, status: 'pending', error_message: null });
      return detail.id;
    };
    expect(await poll(await start('/test-ok'))).toMatchObject({ status: 'completed', error_message: null });
    const failed = await poll(await start('/test-fail'));
    expect(failed.status).toBe('failed');
    expect(failed.error_message).toEqual(expect.stringContaining('500'));
    const sent = receiver.requests.find((r) => r.path === '/test-ok');
    expect(sent?.headers.authorization).toBe(SECRET);

    expect((await call('GET', TEST, { ...p, test_id: '00000000-0000-4000-8000-000000000000' })).status).toBe(404);
  });

  it('accepts every bodiless request whatever its Content-Type says, and {} on GET and DELETE', async () => {
    const auth = { authorization: `Token ${TOKEN}`, accept: 'application/json' };
    const hooks = `/v2.1/projects/${PROJECT}/webhooks`;
    const createOne = async (name: string) => {
      const res = await call('POST', WEBHOOKS, { project_name: PROJECT }, {
        name,
        url: `${receiver.url}/x`,
        object_type: 'deployment',
        object_name: 'bodiless',
        event: 'deployment_request_started',
      });
      expect(res.status, res.text).toBe(201);
    };
    const variants: Array<[string, Record<string, string>, string | undefined]> = [
      ['json, no Content-Length', { 'content-type': 'application/json' }, undefined],
      ['json, Content-Length: 0', { 'content-type': 'application/json', 'content-length': '0' }, undefined],
      ['json, chunked and empty', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, undefined],
      ['json with charset', { 'content-type': 'application/json; charset=utf-8', 'content-length': '0' }, undefined],
      ['text/plain, empty', { 'content-type': 'text/plain', 'content-length': '0' }, undefined],
      ['unknown type, chunked and empty', { 'content-type': 'application/x-whatever', 'transfer-encoding': 'chunked' }, undefined],
      ['malformed type, empty', { 'content-type': 'not a media type' }, undefined],
      ['{} as JSON', { 'content-type': 'application/json' }, '{}'],
      ['{} as JSON, chunked', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, '{}'],
    ];
    for (const [label, headers, body] of variants) {
      const name = `bodiless-${variants.findIndex((v) => v[0] === label)}`;
      await createOne(name);
      for (const method of ['GET', 'HEAD'] as const) {
        const res = await send(base, method, `${hooks}/${name}`, { ...auth, ...headers }, body);
        expect(res.status, `${method} ${label}: ${res.text}`).toBe(200);
      }
      const listed = await send(base, 'GET', `${hooks}?object_type=deployment`, { ...auth, ...headers }, body);
      expect(listed.status, `GET list ${label}: ${listed.text}`).toBe(200);
      const del = await send(base, 'DELETE', `${hooks}/${name}`, { ...auth, ...headers }, body);
      expect(del.status, `DELETE ${label}: ${del.text}`).toBe(204);
      // A POST that needs no body (re-driving a dead letter): not a 400 about the body.
      const redrive = await send(
        base,
        'POST',
        `/v2.1/projects/${PROJECT}/dead-letters/00000000-0000-4000-8000-000000000000/redrive`,
        { ...auth, ...headers },
        body,
      );
      expect(redrive.status, `POST redrive ${label}: ${redrive.text}`).toBe(404);
    }

    // A POST that needs a body and has none: a 400 naming the body, not a parser error.
    const noBody = await send(base, 'POST', `/v2.1/projects/${PROJECT}/webhooks-tests`, {
      ...auth,
      'content-type': 'application/json',
    });
    expect(noBody.status).toBe(400);
    expect(JSON.parse(noBody.text)).toEqual({ error: 'body: required' });
    // A body that is there is still JSON only.
    const text = await send(base, 'DELETE', `${hooks}/whatever`, { ...auth, 'content-type': 'text/plain' }, 'hi');
    expect(text.status).toBe(415);
  });
});
