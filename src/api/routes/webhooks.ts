/** `/v2.1/projects/{project_name}/webhooks`: create, list, details, update, delete (SPEC §6). */
import type { RouteModule } from '../app.js';
import { errorResponses, jsonResponse, ref } from '../openapi.js';
import { parseLabelFilter, parseOrThrow } from '../schemas.js';
import { isWebhookName, projectParam, toWebhookDetail, webhookNotFound } from '../views.js';

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

export const webhookRoutes: RouteModule = {
  name: 'webhooks',

  register(app, { deps, schemas }) {
    const { registry } = deps;

    app.post<{ Params: CollectionParams }>(COLLECTION, async (request, reply) => {
      const project = projectParam(request.params);
      const input = parseOrThrow(schemas.webhookCreate, request.body);
      const created = await registry.create(project, input);
      request.log.info({ project, webhook: created.name, webhookId: created.id }, 'webhook created');
      return reply.code(201).send(toWebhookDetail(created));
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
        });
        return webhooks.map(toWebhookDetail);
      },
    );

    app.get<{ Params: ItemParams }>(ITEM, async (request) => {
      const project = projectParam(request.params);
      const name = request.params.webhook_name;
      const webhook = isWebhookName(name) ? await registry.get(project, name) : null;
      if (webhook === null) throw webhookNotFound(name);
      return toWebhookDetail(webhook);
    });

    app.patch<{ Params: ItemParams }>(ITEM, async (request) => {
      const project = projectParam(request.params);
      const name = request.params.webhook_name;
      if (!isWebhookName(name)) throw webhookNotFound(name);
      const patch = parseOrThrow(schemas.webhookUpdate, request.body);
      const updated = await registry.update(project, name, patch);
      request.log.info({ project, webhook: updated.name, webhookId: updated.id }, 'webhook updated');
      return toWebhookDetail(updated);
    });

    app.delete<{ Params: ItemParams }>(ITEM, async (request, reply) => {
      const project = projectParam(request.params);
      const name = request.params.webhook_name;
      if (!isWebhookName(name) || !(await registry.remove(project, name))) throw webhookNotFound(name);
      request.log.info({ project, webhook: name }, 'webhook deleted');
      return reply.code(204).send();
    });
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
          summary: 'Update a webhook (partial; rename; headers replace the list, value null keeps a protected value)',
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
    };
  },
};
