/**
 * `/v2.1/projects/{project_name}/webhooks`: create, list, details, update, delete (UbiOps v2.1), and
 * `.../webhooks/{webhook_name}/tests`, one test per subscribed event (an extension). This surface
 * shows the webhooks on one object; project-wide ones (the UP42 surface's) are not listed and read
 * as not found here, though their names are taken.
 */
import type { ObjectScope, Webhook } from '../../../registry/model.js';
import type { Registry } from '../../../registry/store.js';
import { errorResponses, jsonResponse, ref, toJsonSchema } from '../../openapi.js';
import { isWebhookName, parseOrThrow } from '../../primitives.js';
import type { RouteModule } from '../../route-contract.js';
import { runWebhookTests } from '../../webhook-test-runs.js';
import { createApiSchemas, parseLabelFilter } from './schemas.js';
import { isObjectWebhook, projectParam, toWebhookDetail, webhookNotFound } from './views.js';

const COLLECTION = '/v2.1/projects/:project_name/webhooks';
const ITEM = '/v2.1/projects/:project_name/webhooks/:webhook_name';

interface CollectionParams {
  project_name: string;
}
interface ItemParams extends CollectionParams {
  webhook_name: string;
}

const projectParameter = { name: 'project_name', in: 'path', required: true, schema: { type: 'string' } };
const webhookParameter = { name: 'webhook_name', in: 'path', required: true, schema: { type: 'string' } };

/** The webhook on an object with this name, or a 404. */
async function findObjectWebhook(registry: Registry, project: string, name: string): Promise<Webhook & ObjectScope> {
  const webhook = isWebhookName(name) ? await registry.get(project, name) : null;
  if (webhook === null || !isObjectWebhook(webhook)) throw webhookNotFound(name);
  return webhook;
}

/** The view of a webhook this surface just wrote (always on an object: its requests require one). */
function detailOf(webhook: Webhook) {
  if (!isObjectWebhook(webhook)) throw new Error('a webhook written through the UbiOps surface has an object scope');
  return toWebhookDetail(webhook);
}

export const webhookRoutes: RouteModule = {
  name: 'webhooks',

  register(app, { deps }) {
    const { registry } = deps;
    const schemas = createApiSchemas({ allowHttp: deps.allowHttp });

    app.post<{ Params: CollectionParams }>(COLLECTION, async (request, reply) => {
      const project = projectParam(request.params);
      const input = parseOrThrow(schemas.webhookCreate, request.body);
      const created = await registry.create(project, input);
      request.log.info({ project, webhook: created.name, webhookId: created.id }, 'webhook created');
      return reply.code(201).send(detailOf(created));
    });

    app.get<{ Params: CollectionParams; Querystring: Record<string, string | string[]> }>(
      COLLECTION,
      async (request) => {
        const project = projectParam(request.params);
        const query = parseOrThrow(schemas.listQuery, request.query);
        const webhooks = await registry.list(project, {
          labels: query.labels === undefined ? undefined : parseLabelFilter(query.labels),
          object_type: query.object_type,
          event: query.event,
          scope: 'object',
        });
        return webhooks.filter(isObjectWebhook).map(toWebhookDetail);
      },
    );

    app.get<{ Params: ItemParams }>(ITEM, async (request) => {
      const project = projectParam(request.params);
      return toWebhookDetail(await findObjectWebhook(registry, project, request.params.webhook_name));
    });

    app.patch<{ Params: ItemParams }>(ITEM, async (request) => {
      const project = projectParam(request.params);
      const current = await findObjectWebhook(registry, project, request.params.webhook_name);
      const patch = parseOrThrow(schemas.webhookUpdate, request.body);
      const updated = await registry.updateById(project, current.id, patch);
      request.log.info({ project, webhook: updated.name, webhookId: updated.id }, 'webhook updated');
      return detailOf(updated);
    });

    app.delete<{ Params: ItemParams }>(ITEM, async (request, reply) => {
      const project = projectParam(request.params);
      const name = request.params.webhook_name;
      const current = await findObjectWebhook(registry, project, name);
      if (!(await registry.removeById(project, current.id))) throw webhookNotFound(name);
      request.log.info({ project, webhook: name, webhookId: current.id }, 'webhook deleted');
      return reply.code(204).send();
    });

    app.post<{ Params: ItemParams }>(`${ITEM}/tests`, async (request, reply) => {
      const project = projectParam(request.params);
      const webhook = await findObjectWebhook(registry, project, request.params.webhook_name);
      const tests = await runWebhookTests(deps, webhook, request.log);
      if (tests === null) return reply.code(503).send({ error: 'webhook tests could not be queued; try again' });
      return reply.code(201).send(tests);
    });
  },

  components({ deps }) {
    const schemas = createApiSchemas({ allowHttp: deps.allowHttp });
    return {
      WebhookCreate: toJsonSchema(schemas.webhookCreate),
      WebhookUpdate: toJsonSchema(schemas.webhookUpdate),
      WebhookDetail: toJsonSchema(schemas.webhookDetail, 'output'),
      WebhookEventTest: toJsonSchema(schemas.webhookEventTest, 'output'),
    };
  },

  openapi() {
    const body = (schema: string) => ({ required: true, content: { 'application/json': { schema: ref(schema) } } });
    return {
      '/v2.1/projects/{project_name}/webhooks': {
        parameters: [projectParameter],
        post: {
          operationId: 'webhooks_create',
          summary: 'Create a webhook (name unique per project)',
          requestBody: body('WebhookCreate'),
          responses: {
            '201': jsonResponse('the created webhook', 'WebhookDetail'),
            ...errorResponses(400, 401, 409, 413, 415),
          },
        },
        get: {
          operationId: 'webhooks_list',
          summary: 'List webhooks, optionally filtered (filters combine)',
          parameters: [
            {
              name: 'labels',
              in: 'query',
              required: false,
              description: 'key:value pairs separated by commas; every pair must match',
              schema: { type: 'string' },
            },
            { name: 'object_type', in: 'query', required: false, schema: { type: 'string', enum: ['deployment', 'pipeline'] } },
            { name: 'event', in: 'query', required: false, schema: { type: 'string' } },
          ],
          responses: {
            '200': {
              description: 'the webhooks, sorted by name',
              content: { 'application/json': { schema: { type: 'array', items: ref('WebhookDetail') } } },
            },
            ...errorResponses(400, 401),
          },
        },
      },
      '/v2.1/projects/{project_name}/webhooks/{webhook_name}': {
        parameters: [projectParameter, webhookParameter],
        get: {
          operationId: 'webhooks_get',
          summary: 'Get a webhook',
          responses: { '200': jsonResponse('the webhook', 'WebhookDetail'), ...errorResponses(400, 401, 404) },
        },
        patch: {
          operationId: 'webhooks_update',
          summary:
            'Update a webhook (partial; rename; headers replace the list, value null keeps a protected value; ' +
            'event or events replace the events; secret null or absent keeps the secret)',
          requestBody: body('WebhookUpdate'),
          responses: {
            '200': jsonResponse('the updated webhook', 'WebhookDetail'),
            ...errorResponses(400, 401, 404, 409, 413, 415),
          },
        },
        delete: {
          operationId: 'webhooks_delete',
          summary: 'Delete a webhook',
          responses: { '204': { description: 'deleted' }, ...errorResponses(400, 401, 404) },
        },
      },
      '/v2.1/projects/{project_name}/webhooks/{webhook_name}/tests': {
        parameters: [projectParameter, webhookParameter],
        post: {
          operationId: 'webhooks_tests_create',
          summary:
            'Send a test of every subscribed event through the delivery path (headers, secret, timeout, retry); ' +
            'each test is then readable at webhooks-tests/{test_id} (an extension; no body)',
          responses: {
            '201': {
              description: 'one pending test per subscribed event',
              content: { 'application/json': { schema: { type: 'array', items: ref('WebhookEventTest') } } },
            },
            ...errorResponses(400, 401, 404, 503),
          },
        },
      },
    };
  },
};
