/**
 * Project-scoped API tokens (issue 12, point 1) on every route the API process serves, enumerated
 * from its route table: a route added without a case here fails the first test. A token limited
 * to `alpha` works there, gets 404 reading `beta` and 403 changing it, on both surfaces.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RouteModule, buildApp, routesOf } from '../../../src/api/index.js';
import { grantedProjects } from '../../../src/api/project-scope.js';
import { DEFAULT_RETENTION, createAttemptLogWriter } from '../../../src/attempts/index.js';
import { buildProcessApp } from '../../../src/lifecycle/run.js';
import { type TestEngine, requestEvent, startTestEngine } from '../../helpers/engine.js';
import { type RedisServer, startRedisServer } from '../../helpers/index.js';

const ADMIN = 'admin-token-0123456789';
const SCOPED = 'scoped-token-0123456789';
const IN = 'alpha';
const OUT = 'beta';

/** What one project holds for the cases to act on. */
interface Fixtures {
  readonly up42Id: string;
  readonly testId: string;
  readonly deliveryId: string;
}

interface Case {
  readonly payload?: unknown;
  /** The path with its parameters filled in for `project`. */
  readonly path: (project: string, f: Fixtures) => string;
  /** Status with a token allowed in the project. */
  readonly status: number;
}

const webhookBody = {
  name: 'created',
  url: 'https://receiver.example/created',
  object_type: 'deployment',
  object_name: 'model',
  event: 'deployment_request_completed',
};
const up42Body = { name: 'Created hook', url: 'https://receiver.example/up42', events: ['deployment_request_failed'], active: true };

/**
 * Every route that needs a token, by `METHOD path`. Deletes come last (the route table's order is
 * not used): each case runs against the fixtures the earlier ones left.
 */
const CASES: Record<string, Case> = {
  'GET /v2.1/webhooks/events': { path: () => '/v2.1/webhooks/events', status: 200 },
  'GET /webhooks/events': { path: () => '/webhooks/events', status: 200 },
  'POST /v2.1/projects/:project_name/webhooks': { path: (p) => `/v2.1/projects/${p}/webhooks`, payload: webhookBody, status: 201 },
  'GET /v2.1/projects/:project_name/webhooks': { path: (p) => `/v2.1/projects/${p}/webhooks`, status: 200 },
  'GET /v2.1/projects/:project_name/webhooks/:webhook_name': { path: (p) => `/v2.1/projects/${p}/webhooks/hook`, status: 200 },
  'PATCH /v2.1/projects/:project_name/webhooks/:webhook_name': {
    path: (p) => `/v2.1/projects/${p}/webhooks/hook`,
    payload: { description: 'patched' },
    status: 200,
  },
  'POST /v2.1/projects/:project_name/webhooks/:webhook_name/tests': { path: (p) => `/v2.1/projects/${p}/webhooks/hook/tests`, status: 201 },
  'POST /v2.1/projects/:project_name/webhooks-tests': {
    path: (p) => `/v2.1/projects/${p}/webhooks-tests`,
    payload: { url: 'https://receiver.example/t', object_type: 'deployment', object_name: 'model', event: 'deployment_request_completed' },
    status: 201,
  },
  'GET /v2.1/projects/:project_name/webhooks-tests/:test_id': { path: (p, f) => `/v2.1/projects/${p}/webhooks-tests/${f.testId}`, status: 200 },
  'GET /v2.1/projects/:project_name/dead-letters': { path: (p) => `/v2.1/projects/${p}/dead-letters`, status: 200 },
  'GET /v2.1/projects/:project_name/dead-letters/:delivery_id': {
    path: (p, f) => `/v2.1/projects/${p}/dead-letters/${f.deliveryId}`,
    status: 200,
  },
  'POST /v2.1/projects/:project_name/dead-letters/:delivery_id/redrive': {
    path: (p, f) => `/v2.1/projects/${p}/dead-letters/${f.deliveryId}/redrive`,
    status: 202,
  },
  'GET /workspaces/:workspace_id/webhooks': { path: (p) => `/workspaces/${p}/webhooks`, status: 200 },
  'POST /workspaces/:workspace_id/webhooks': {
    path: (p) => `/workspaces/${p}/webhooks`,
    payload: { ...up42Body, name: 'Another hook' },
    status: 201,
  },
  'GET /workspaces/:workspace_id/webhooks/:id': { path: (p, f) => `/workspaces/${p}/webhooks/${f.up42Id}`, status: 200 },
  'PUT /workspaces/:workspace_id/webhooks/:id': {
    path: (p, f) => `/workspaces/${p}/webhooks/${f.up42Id}`,
    payload: { ...up42Body, name: 'Renamed hook', url: 'https://receiver.example/up42', secret: null },
    status: 200,
  },
  'POST /workspaces/:workspace_id/webhooks/:id/tests': { path: (p, f) => `/workspaces/${p}/webhooks/${f.up42Id}/tests`, status: 201 },
  'GET /v2.1/projects/:project_name/deliveries': { path: (p) => `/v2.1/projects/${p}/deliveries`, status: 200 },
  'GET /v2.1/projects/:project_name/deliveries/:delivery_id': {
    path: (p, f) => `/v2.1/projects/${p}/deliveries/${f.deliveryId}`,
    status: 200,
  },
  'POST /v2.1/projects/:project_name/deliveries/:delivery_id/redeliver': {
    path: (p, f) => `/v2.1/projects/${p}/deliveries/${f.deliveryId}/redeliver`,
    status: 202,
  },
  'POST /v2.1/projects/:project_name/dead-letters/redrive': { path: (p) => `/v2.1/projects/${p}/dead-letters/redrive`, payload: {}, status: 202 },
  'GET /v2.1/projects/:project_name/webhooks/:webhook_name/health': { path: (p) => `/v2.1/projects/${p}/webhooks/hook/health`, status: 200 },
  'GET /v2.1/projects/:project_name/webhooks-health': { path: (p) => `/v2.1/projects/${p}/webhooks-health`, status: 200 },
  // The monitoring page's reads (issue 21): every webhook with its health, the figures, a delivery's request.
  'GET /v2.1/projects/:project_name/webhooks-overview': { path: (p) => `/v2.1/projects/${p}/webhooks-overview`, status: 200 },
  'GET /v2.1/projects/:project_name/webhooks-stats': { path: (p) => `/v2.1/projects/${p}/webhooks-stats`, status: 200 },
  'GET /v2.1/projects/:project_name/deliveries/:delivery_id/request': {
    path: (p, f) => `/v2.1/projects/${p}/deliveries/${f.deliveryId}/request`,
    status: 200,
  },
  // The token's own scope: no project in the path, filtered by the grant (projectScope: 'filtered').
  'GET /v2.1/token-scope': { path: () => '/v2.1/token-scope', status: 200 },
  'DELETE /v2.1/projects/:project_name/webhooks/:webhook_name': { path: (p) => `/v2.1/projects/${p}/webhooks/hook`, status: 204 },
  'DELETE /workspaces/:workspace_id/webhooks/:id': { path: (p, f) => `/workspaces/${p}/webhooks/${f.up42Id}`, status: 200 },
};

let server: RedisServer;
let t: TestEngine;
let app: FastifyInstance;
const fixtures = new Map<string, Fixtures>();

const call = (token: string, method: string, url: string, payload?: unknown): Promise<LightMyRequestResponse> =>
  app.inject({
    method: method as 'GET',
    url,
    headers: { authorization: `${url.startsWith('/workspaces') ? 'Bearer' : 'Token'} ${token}`, 'content-type': 'application/json' },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });

async function seed(project: string): Promise<Fixtures> {
  const hook = await call(ADMIN, 'POST', `/v2.1/projects/${project}/webhooks`, { ...webhookBody, name: 'hook' });
  expect(hook.statusCode).toBe(201);
  const up42 = await call(ADMIN, 'POST', `/workspaces/${project}/webhooks`, up42Body);
  expect(up42.statusCode).toBe(201);
  const test = await t.services.webhookTests.create(project, {
    url: 'https://receiver.example/t',
    object_type: 'deployment',
    object_name: 'model',
    event: 'deployment_request_completed',
  });
  const deliveryId = randomUUID();
  await t.services.deadLetters.add({
    deliveryId,
    project,
    webhookId: hook.json().id,
    webhookEvent: 'deployment_request_completed',
    event: requestEvent({ project }) as never,
    attempts: 1,
    errorCode: 'HTTP_500',
    errorMessage: 'Received HTTP 500',
    failedAt: new Date().toISOString(),
  });
  // The same delivery in the attempt log, with its event kept (for the deliveries routes).
  const log = createAttemptLogWriter({ redis: t.services.redis, keys: t.services.keys, logger: t.services.logger, ...DEFAULT_RETENTION });
  log.record(
    {
      deliveryId,
      project,
      webhookId: hook.json().id,
      webhookName: 'hook',
      event: 'deployment_request_completed',
      requestId: 'req-1',
      attempt: 1,
      startedAt: Date.now(),
      durationMs: 3,
      outcome: 'failed',
      httpStatus: 500,
      errorCode: 'HTTP_500',
      errorMessage: 'Received HTTP 500',
    },
    requestEvent({ project, request_id: 'req-1' }) as never,
  );
  await log.close();
  return { up42Id: up42.json().data.id, testId: test.id, deliveryId };
}

beforeAll(async () => {
  server = await startRedisServer();
  t = await startTestEngine(server.url, { HOOKPOST_API_TOKENS: `${ADMIN},${SCOPED}=${IN}|gamma` });
  app = buildProcessApp(t.services);
  await app.ready();
  for (const project of [IN, OUT]) fixtures.set(project, await seed(project));
});
afterAll(async () => {
  await app?.close();
  await t?.close();
  await server?.stop();
});

const keyOf = (route: { method: string; url: string }) => `${route.method} ${route.url}`;
const tokenRoutes = () => routesOf(app).filter((r) => r.config.public !== true);

describe('project-scoped API tokens on every route', () => {
  it('has a case for every route that takes a token (add one for a new route)', () => {
    const routes = tokenRoutes().filter((r) => r.method !== 'HEAD');
    expect(routes.length).toBeGreaterThan(15);
    expect(routes.map(keyOf).sort()).toEqual(Object.keys(CASES).sort());
  });

  it('refuses another project: 404 for reads, 403 for writes, in the surface\'s error shape, changing nothing', async () => {
    const before = JSON.stringify(await t.services.registry.list(OUT));
    const f = fixtures.get(OUT)!;
    for (const [key, c] of Object.entries(CASES)) {
      const [method = ''] = key.split(' ');
      const url = c.path(OUT, f);
      if (!key.includes(':project_name') && !key.includes(':workspace_id')) continue;
      const res = await call(SCOPED, method, url, c.payload);
      const expected = method === 'GET' ? 404 : 403;
      expect(res.statusCode, key).toBe(expected);
      if (url.startsWith('/workspaces')) {
        expect(res.json(), key).toEqual({ data: null, error: { code: expected, message: expect.any(String) } });
      } else {
        expect(res.json(), key).toEqual({ error: expect.any(String) });
      }
    }
    // HEAD reads too.
    for (const route of tokenRoutes().filter((r) => r.method === 'HEAD' && /:(project_name|workspace_id)/.test(r.url))) {
      const c = CASES[`GET ${route.url}`];
      expect(c, route.url).toBeDefined();
      expect((await call(SCOPED, 'HEAD', c!.path(OUT, f))).statusCode, route.url).toBe(404);
    }
    expect(JSON.stringify(await t.services.registry.list(OUT))).toBe(before);
    expect(await t.services.deadLetters.get(OUT, f.deliveryId)).not.toBeNull();
  });

  it('does not reveal whether anything exists in another project', async () => {
    const f = fixtures.get(OUT)!;
    const existing = await call(SCOPED, 'GET', `/v2.1/projects/${OUT}/webhooks/hook`);
    const missing = await call(SCOPED, 'GET', '/v2.1/projects/nothing-here/webhooks/hook');
    expect([existing.statusCode, existing.body]).toEqual([missing.statusCode, missing.body]);
    const up42Existing = await call(SCOPED, 'GET', `/workspaces/${OUT}/webhooks/${f.up42Id}`);
    const up42Missing = await call(SCOPED, 'GET', `/workspaces/nothing-here/webhooks/${randomUUID()}`);
    expect([up42Existing.statusCode, up42Existing.body]).toEqual([up42Missing.statusCode, up42Missing.body]);
  });

  it('works in its own project on every route, like an all-projects token', async () => {
    const f = fixtures.get(IN)!;
    for (const [key, c] of Object.entries(CASES)) {
      const [method = ''] = key.split(' ');
      const res = await call(SCOPED, method, c.path(IN, f), c.payload);
      expect(res.statusCode, `${key}: ${res.body}`).toBe(c.status);
    }
    for (const route of tokenRoutes().filter((r) => r.method === 'HEAD')) {
      const res = await call(SCOPED, 'HEAD', CASES[`GET ${route.url}`]!.path(IN, f));
      expect(res.statusCode, route.url).not.toBe(403);
      expect(res.statusCode, route.url).not.toBe(401);
    }
    // The page learns the token's projects, and nothing about any other.
    expect((await call(SCOPED, 'GET', '/v2.1/token-scope')).json()).toEqual({ projects: [IN, 'gamma'] });
    expect((await call(ADMIN, 'GET', '/v2.1/token-scope')).json()).toEqual({ projects: null });
    // The all-projects token still reaches the other project.
    expect((await call(ADMIN, 'GET', `/v2.1/projects/${OUT}/webhooks/hook`)).statusCode).toBe(200);
  });
});

describe('routes without a project parameter', () => {
  const crossProject: RouteModule = {
    name: 'cross-project',
    register(app) {
      app.get('/v2.1/everything', async () => ({ projects: ['alpha', 'beta'] }));
      app.get('/v2.1/filtered', { config: { projectScope: 'filtered' } }, async (request) => {
        const granted = grantedProjects(request);
        return { projects: ['alpha', 'beta'].filter((p) => granted === null || granted.has(p)) };
      });
    },
    openapi: () => ({}),
  };

  it('are refused to a scoped token unless they declare projectScope (and then filter themselves)', async () => {
    const extra = buildApp(
      {
        apiTokens: [ADMIN, { projects: [IN], reveal: () => SCOPED }],
        allowHttp: false,
        registry: t.services.registry,
        webhookTests: t.services.webhookTests,
        enqueueWebhookTest: async () => {},
        publicKey: { alg: 'ed25519', keyid: 'sha512:00', public_key_pem: '' },
        checkReady: async () => true,
        metricsRegistry: t.services.metricsRegistry,
        logger: t.services.logger,
      },
      { routes: [crossProject] },
    );
    const get = (token: string, url: string) => extra.inject({ method: 'GET', url, headers: { authorization: `Token ${token}` } });
    expect((await get(ADMIN, '/v2.1/everything')).json()).toEqual({ projects: ['alpha', 'beta'] });
    const refused = await get(SCOPED, '/v2.1/everything');
    expect(refused.statusCode).toBe(403);
    expect(refused.body).not.toContain('beta');
    expect((await get(SCOPED, '/v2.1/filtered')).json()).toEqual({ projects: ['alpha'] });
    expect((await get(SCOPED, '/v2.1/webhooks/events')).statusCode).toBe(200);
    await extra.close();
  });
});
