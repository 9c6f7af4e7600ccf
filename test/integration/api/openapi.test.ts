import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toJsonSchema } from '../../../src/api/openapi.js';
import { createApiSchemas } from '../../../src/api/surfaces/ubiops/schemas.js';
import { SEED_WEBHOOK_CREATE } from '../../fixtures/seed-webhook.js';
import { type ApiHarness as Harness, startApi } from '../../helpers/app.js';

describe('OpenAPI document', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApi();
  });
  afterAll(async () => {
    await h.close();
  });

  const fetchDocument = async () => {
    const res = await h.app.inject({ method: 'GET', url: '/v2.1/openapi.json' });
    expect(res.statusCode).toBe(200);
    return res.json();
  };

  it('is served without a token and looks like OpenAPI 3.1', async () => {
    const doc = await fetchDocument();
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(doc.components.securitySchemes.Token).toMatchObject({ type: 'apiKey', in: 'header', name: 'Authorization' });
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/healthz',
        '/metrics',
        '/readyz',
        '/v2.1/openapi.json',
        '/v2.1/projects/{project_name}/webhooks',
        '/v2.1/projects/{project_name}/webhooks-tests',
        '/v2.1/projects/{project_name}/webhooks-tests/{test_id}',
        '/v2.1/projects/{project_name}/webhooks/{webhook_name}',
        '/v2.1/signing-key',
        '/v2.1/projects/{project_name}/webhooks/{webhook_name}/tests',
        '/v2.1/webhooks/events',
        '/webhooks/events',
        '/workspaces/{workspace_id}/webhooks',
        '/workspaces/{workspace_id}/webhooks/{id}',
        '/workspaces/{workspace_id}/webhooks/{id}/tests',
        '/v2.1/signing-keys',
      ].sort(),
    );
    const hooks = doc.paths['/v2.1/projects/{project_name}/webhooks'];
    expect(Object.keys(hooks).filter((k) => k !== 'parameters').sort()).toEqual(['get', 'post']);
    expect(hooks.post.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/WebhookCreate',
    });
    expect(Object.keys(doc.paths['/v2.1/projects/{project_name}/webhooks/{webhook_name}']).sort()).toEqual(
      ['delete', 'get', 'parameters', 'patch'].sort(),
    );
    // Every $ref resolves to a component.
    const refs = JSON.stringify(doc.paths).match(/#\/components\/schemas\/\w+/g) ?? [];
    expect(refs.length).toBeGreaterThan(5);
    for (const r of refs) expect(doc.components.schemas[r.split('/').pop() ?? '']).toBeDefined();
    // Every path parameter in a template is declared.
    for (const [path, item] of Object.entries<Record<string, unknown>>(doc.paths)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = ((item.parameters ?? []) as Array<{ name: string }>).map((p) => p.name);
      expect(declared.sort(), path).toEqual(names.sort());
    }
  });

  it('carries the request schemas the API validates with', async () => {
    const doc = await fetchDocument();
    const schemas = createApiSchemas({ allowHttp: false });
    expect(doc.components.schemas.WebhookCreate).toEqual(toJsonSchema(schemas.webhookCreate));
    expect(doc.components.schemas.WebhookUpdate).toEqual(toJsonSchema(schemas.webhookUpdate));
    expect(doc.components.schemas.WebhookTestCreate).toEqual(toJsonSchema(schemas.webhookTestCreate));
    const create = doc.components.schemas.WebhookCreate;
    // event or events (the extension), exactly one.
    expect(create.required.sort()).toEqual(['name', 'object_name', 'object_type', 'url']);
    expect(create.oneOf).toEqual([{ required: ['event'] }, { required: ['events'] }]);
    expect(create.additionalProperties).toBe(false);
    expect(create.properties.timeout).toMatchObject({ type: 'integer', minimum: 1, maximum: 30, default: 10 });
    expect(create.properties.object_type.enum).toEqual(['deployment', 'pipeline']);
  });

  it('describes responses with the UbiOps fields and limits, open to fields added later', async () => {
    const doc = await fetchDocument();
    const detail = doc.components.schemas.WebhookDetail;
    expect(detail.required.sort()).toEqual(
      [
        'id', 'name', 'url', 'headers', 'object_type', 'object_name', 'version', 'description', 'labels', 'event',
        'timeout', 'enabled', 'retry', 'include_result', 'creation_date', 'last_updated', 'events', 'secret',
      ].sort(),
    );
    expect(detail.properties.creation_date).toMatchObject({ type: 'string', format: 'date-time' });
    expect(detail.properties.last_updated).toMatchObject({ type: 'string', format: 'date-time' });
    expect(detail.properties.description).toMatchObject({ type: 'string', maxLength: 400 });
    expect(detail.properties.name).toMatchObject({ minLength: 1, maxLength: 64 });
    expect(detail.properties.timeout).toMatchObject({ type: 'integer', minimum: 1, maximum: 30 });
    const nullable = (schema: { anyOf?: unknown[] }) => schema.anyOf?.map((s) => (s as { type: string }).type).sort();
    expect(nullable(detail.properties.version)).toEqual(['null', 'string']);
    expect(nullable(detail.properties.headers.items.properties.value)).toEqual(['null', 'string']);
    expect(detail.properties.headers.items.properties.value.anyOf[0]).toMatchObject({ type: 'string', minLength: 1 });
    const test = doc.components.schemas.WebhookTestDetail;
    expect(test.required.sort()).toEqual(['error_message', 'id', 'status']);
    expect(test.properties.status.enum).toEqual(['pending', 'completed', 'failed']);
    expect(test.properties.error_message.type).toEqual(['string', 'null']);
    // Responses never close their objects: a generated client must keep reading when fields are added.
    for (const name of ['WebhookDetail', 'WebhookTestDetail', 'SigningKey', 'Error']) {
      expect(JSON.stringify(doc.components.schemas[name]), name).not.toContain('"additionalProperties":false');
    }
    const listed = doc.paths['/v2.1/projects/{project_name}/webhooks'].get.responses['200'];
    expect(listed.content['application/json'].schema).toEqual({
      type: 'array',
      items: { $ref: '#/components/schemas/WebhookDetail' },
    });
    // Request limits follow UbiOps: description at most 400, header values at least 1 character.
    const create = doc.components.schemas.WebhookCreate;
    expect(create.properties.description).toMatchObject({ maxLength: 400, default: '' });
    expect(create.properties.headers.items.required.sort()).toEqual(['key', 'value']);
    expect(create.properties.headers.items.properties.value).toMatchObject({ type: 'string', minLength: 1 });
    const updateHeader = doc.components.schemas.WebhookUpdate.properties.headers.items;
    expect(updateHeader.required).toEqual(['key']);
  });

  it('accepts and refuses bodies as the API does (checked with a JSON Schema 2020-12 validator)', async () => {
    const doc = await fetchDocument();
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(doc.components.schemas.WebhookCreate);
    const seed = SEED_WEBHOOK_CREATE;
    expect(validate(seed)).toBe(true);
    for (const bad of [
      { ...seed, extra: 1 },
      { ...seed, timeout: 31 },
      { ...seed, name: 'Bad_Name' },
      { ...seed, object_type: 'model' },
      { ...seed, headers: [{ key: 'X', value: null }] },
    ]) {
      expect(validate(bad), JSON.stringify(bad)).toBe(false);
      const res = await h.call('POST', '/v2.1/projects/project-1/webhooks', bad);
      expect(res.statusCode).toBe(400);
    }
    const update = ajv.compile(doc.components.schemas.WebhookUpdate);
    expect(update({ headers: [{ key: 'Authorization', value: null, protected: true }] })).toBe(true);
    expect(update({ headers: [{ key: 'Authorization', protected: true }] })).toBe(true);
    expect(update({ description: 'd'.repeat(401) })).toBe(false);
    expect(update({ timeout: 0 })).toBe(false);
  });

  it('documents the extensions and the UP42 surface: event or events, secret, per-webhook tests, envelopes', async () => {
    const doc = await fetchDocument();
    const ajv = new Ajv2020({ strict: false });
    const { event: _event, ...withoutEvent } = SEED_WEBHOOK_CREATE;
    const create = ajv.compile(doc.components.schemas.WebhookCreate);
    expect(create({ ...withoutEvent, events: ['deployment_request_finished'], secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })).toBe(true);
    expect(create({ ...SEED_WEBHOOK_CREATE, events: ['deployment_request_finished'] })).toBe(false);
    expect(create(withoutEvent)).toBe(false);
    expect(create({ ...SEED_WEBHOOK_CREATE, secret: 'x'.repeat(257) })).toBe(false);
    expect(doc.components.schemas.WebhookDetail.properties.secret).toMatchObject({ type: 'null' });
    expect(doc.security).toEqual([{ Token: [] }, { Bearer: [] }]);
    expect(doc.components.securitySchemes.Bearer).toMatchObject({ type: 'http', scheme: 'bearer' });

    const up42Create = ajv.compile(doc.components.schemas.Up42WebhookCreate);
    const catalogEntry = { name: 'pipeline_request_failed', object_type: 'pipeline', description: 'd' };
    expect(up42Create({ name: 'Any name', url: 'https://x.example', events: ['deployment_request_started', catalogEntry] })).toBe(true);
    expect(up42Create({ name: 'n', url: 'https://x.example', events: [] })).toBe(false);
    expect(up42Create({ name: 'n', url: 'https://x.example', events: ['order.status'] })).toBe(false);
    const up42Update = ajv.compile(doc.components.schemas.Up42WebhookUpdate);
    expect(up42Update({ name: 'n', url: 'https://x.example', events: ['deployment_request_started'], active: true, secret: null })).toBe(true);
    expect(up42Update({ name: 'n', url: 'https://x.example', events: ['deployment_request_started'] })).toBe(false);
    expect(doc.components.schemas.Up42Webhook.required.sort()).toEqual(
      ['id', 'workspaceId', 'name', 'url', 'events', 'active', 'secret', 'createdAt', 'updatedAt', 'scope'].sort(),
    );
    const error = ajv.compile(doc.components.schemas.Up42Error);
    expect(error({ data: null, error: { code: 404, message: 'webhook not found' } })).toBe(true);
    const listed = doc.paths['/workspaces/{workspace_id}/webhooks'].get.responses['200'].content['application/json'].schema;
    expect(listed).toEqual({
      type: 'object',
      properties: { data: { type: 'array', items: { $ref: '#/components/schemas/Up42Webhook' } }, error: { type: 'null' } },
      required: ['data', 'error'],
    });
    const tests = doc.paths['/v2.1/projects/{project_name}/webhooks/{webhook_name}/tests'].post.responses['201'];
    expect(tests.content['application/json'].schema.items).toEqual({ $ref: '#/components/schemas/WebhookEventTest' });
    expect(doc.components.schemas.CatalogEvent.required.sort()).toEqual(['description', 'name', 'object_type']);
  });
});
