/**
 * The UP42-style webhook routes, as UP42's SDK calls them: `/workspaces/{workspace_id}/webhooks`
 * (list, create), `/{id}` (info, update with every field, delete) and `/{id}/tests` (one test per
 * subscribed event). A workspace is a project of the same registry as the UbiOps surface; webhooks
 * created here are project-wide. Every answer is `{"data": ..., "error": null}`; errors are
 * `{"data": null, "error": {"code": <status>, "message": "<field>: <rule>"}}` (see index.ts).
 */
import { ErrorCode, HookpostError } from '../../../errors.js';
import { isProjectWide } from '../../../registry/model.js';
import type { RouteModule } from '../../route-contract.js';
import { type JsonSchema, ref, toJsonSchema } from '../../openapi.js';
import { isWebhookName, parseOrThrow } from '../../primitives.js';
import {
  type Up42EventTestView,
  createUp42Schemas,
  envelopeOf,
  toUp42Webhook,
  up42Data,
  up42Error,
  up42RequestSchema,
  up42WebhookNotFound,
  webhookIdParam,
  workspaceParam,
} from './schemas.js';
import { runWebhookTests } from '../../webhook-test-runs.js';

const COLLECTION = '/workspaces/:workspace_id/webhooks';
const ITEM = `${COLLECTION}/:id`;

interface CollectionParams {
  workspace_id: string;
}
interface ItemParams extends CollectionParams {
  id: string;
}

export const up42WebhookRoutes: RouteModule = {
  name: 'up42-webhooks',

  register(app, { deps }) {
    const { registry } = deps;
    const schemas = createUp42Schemas({ allowHttp: deps.allowHttp });

    const find = async (params: ItemParams) => {
      const project = workspaceParam(params);
      const webhook = await registry.getById(project, webhookIdParam(params));
      if (webhook === null) throw up42WebhookNotFound();
      return webhook;
    };

    app.get<{ Params: CollectionParams }>(COLLECTION, async (request) => {
      const project = workspaceParam(request.params);
      return up42Data((await registry.list(project)).map(toUp42Webhook));
    });

    app.post<{ Params: CollectionParams }>(COLLECTION, async (request, reply) => {
      const project = workspaceParam(request.params);
      const input = parseOrThrow(schemas.webhookCreate, request.body);
      const created = await registry.create(project, {
        name: input.name,
        url: input.url,
        events: input.events,
        enabled: input.active,
        secret: input.secret ?? null,
      });
      request.log.info({ project, webhook: created.name, webhookId: created.id }, 'webhook created');
      return reply.code(201).send(up42Data(toUp42Webhook(created)));
    });

    app.get<{ Params: ItemParams }>(ITEM, async (request) => up42Data(toUp42Webhook(await find(request.params))));

    app.put<{ Params: ItemParams }>(ITEM, async (request) => {
      const current = await find(request.params);
      const input = parseOrThrow(schemas.webhookUpdate, request.body);
      // A webhook made on the UbiOps surface stays reachable there by name.
      if (!isProjectWide(current) && !isWebhookName(input.name)) {
        throw new HookpostError(
          ErrorCode.VALIDATION,
          'name: a webhook on one object (made on the /v2.1 surface) keeps a name of a-z, 0-9 and -',
        );
      }
      const updated = await registry.updateById(current.project, current.id, {
        name: input.name,
        url: input.url,
        events: input.events,
        enabled: input.active,
        secret: input.secret ?? null,
        // The SDK cannot send it: its users re-send the secret when they move the URL to another origin.
        keep_secrets: input.keep_secrets,
      });
      request.log.info({ project: updated.project, webhook: updated.name, webhookId: updated.id }, 'webhook updated');
      return up42Data(toUp42Webhook(updated));
    });

    app.delete<{ Params: ItemParams }>(ITEM, async (request) => {
      const project = workspaceParam(request.params);
      const id = webhookIdParam(request.params);
      if (!(await registry.removeById(project, id))) throw up42WebhookNotFound();
      request.log.info({ project, webhookId: id }, 'webhook deleted');
      return up42Data(null);
    });

    app.post<{ Params: ItemParams }>(`${ITEM}/tests`, async (request, reply) => {
      const webhook = await find(request.params);
      const tests = await runWebhookTests(deps, webhook, request.log);
      if (tests === null) return reply.code(503).send(up42Error(503, 'webhook tests could not be queued; try again'));
      const views: Up42EventTestView[] = tests.map((t) => ({
        id: t.id,
        event: t.event,
        status: t.status,
        errorMessage: t.error_message,
      }));
      return reply.code(201).send(up42Data(views));
    });
  },

  components(ctx) {
    const schemas = createUp42Schemas({ allowHttp: ctx.deps.allowHttp });
    return {
      Up42WebhookCreate: up42RequestSchema(schemas.webhookCreate),
      Up42WebhookUpdate: up42RequestSchema(schemas.webhookUpdate),
      Up42Webhook: toJsonSchema(schemas.webhook, 'output'),
      Up42EventTest: toJsonSchema(schemas.eventTest, 'output'),
      Up42Error: toJsonSchema(schemas.error, 'output'),
    };
  },

  openapi() {
    const workspace = { name: 'workspace_id', in: 'path', required: true, schema: { type: 'string' }, description: 'the project' };
    const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
    const ok = (description: string, data: JsonSchema) => ({
      description,
      content: { 'application/json': { schema: envelopeOf(data) } },
    });
    const errors = (...statuses: number[]) =>
      Object.fromEntries(
        statuses.map((s) => [String(s), { description: 'error', content: { 'application/json': { schema: ref('Up42Error') } } }]),
      );
    const body = (schema: string) => ({ required: true, content: { 'application/json': { schema: ref(schema) } } });
    const tags = ['UP42'];
    return {
      '/workspaces/{workspace_id}/webhooks': {
        parameters: [workspace],
        get: {
          operationId: 'up42_webhooks_list',
          summary: 'UP42 surface: every webhook of the workspace, sorted by name',
          tags,
          responses: { '200': ok('the webhooks', { type: 'array', items: ref('Up42Webhook') }), ...errors(400, 401) },
        },
        post: {
          operationId: 'up42_webhooks_create',
          summary: 'UP42 surface: create a webhook on every deployment and pipeline of the workspace (active defaults to false)',
          tags,
          requestBody: body('Up42WebhookCreate'),
          responses: { '201': ok('the created webhook', ref('Up42Webhook')), ...errors(400, 401, 409, 413, 415) },
        },
      },
      '/workspaces/{workspace_id}/webhooks/{id}': {
        parameters: [workspace, id],
        get: {
          operationId: 'up42_webhooks_get',
          summary: 'UP42 surface: one webhook (secret reads null)',
          tags,
          responses: { '200': ok('the webhook', ref('Up42Webhook')), ...errors(400, 401, 404) },
        },
        put: {
          operationId: 'up42_webhooks_update',
          summary: 'UP42 surface: update with every field; secret null keeps the stored secret',
          tags,
          requestBody: body('Up42WebhookUpdate'),
          responses: { '200': ok('the updated webhook', ref('Up42Webhook')), ...errors(400, 401, 404, 409, 413, 415) },
        },
        delete: {
          operationId: 'up42_webhooks_delete',
          summary: 'UP42 surface: delete a webhook (a body such as {} is ignored)',
          tags,
          responses: { '200': ok('deleted', { type: 'null' }), ...errors(400, 401, 404) },
        },
      },
      '/workspaces/{workspace_id}/webhooks/{id}/tests': {
        parameters: [workspace, id],
        post: {
          operationId: 'up42_webhooks_tests_create',
          summary:
            'UP42 surface: send a test of every subscribed event through the delivery path; each test is then ' +
            'readable at /v2.1/projects/{workspace_id}/webhooks-tests/{test id}',
          tags,
          responses: {
            '201': ok('one pending test per subscribed event', { type: 'array', items: ref('Up42EventTest') }),
            ...errors(400, 401, 404, 503),
          },
        },
      },
    };
  },
};
