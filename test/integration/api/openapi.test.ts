import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toJsonSchema } from '../../../src/api/openapi.js';
import { createApiSchemas } from '../../../src/api/schemas.js';
import { SEED_WEBHOOK_CREATE } from '../../fixtures/seed-webhook.js';
import { type Harness, startApi } from './app-harness.js';

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
    expect(create.required.sort()).toEqual(['event', 'name', 'object_name', 'object_type', 'url']);
    expect(create.additionalProperties).toBe(false);
    expect(create.properties.timeout).toMatchObject({ type: 'integer', minimum: 1, maximum: 30, default: 10 });
    expect(create.properties.object_type.enum).toEqual(['deployment', 'pipeline']);
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
    expect(update({ timeout: 0 })).toBe(false);
  });
});
