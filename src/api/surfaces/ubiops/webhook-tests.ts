/** `/v2.1/projects/{project_name}/webhooks-tests`: send a dummy event now, then poll its status. */
import { ErrorCode, HookpostError } from '../../../errors.js';
import { errorResponses, jsonResponse, ref, toJsonSchema } from '../../openapi.js';
import { parseOrThrow } from '../../primitives.js';
import type { RouteModule } from '../../route-contract.js';
import { createApiSchemas } from './schemas.js';
import { projectParam } from './views.js';

const COLLECTION = '/v2.1/projects/:project_name/webhooks-tests';
const ITEM = '/v2.1/projects/:project_name/webhooks-tests/:test_id';

const TEST_ID_RE = /^[0-9a-f-]{36}$/;

const projectParameter = { name: 'project_name', in: 'path', required: true, schema: { type: 'string' } };

export const webhookTestRoutes: RouteModule = {
  name: 'webhook-tests',

  register(app, { deps }) {
    const { webhookTests, enqueueWebhookTest } = deps;
    const schemas = createApiSchemas({ allowHttp: deps.allowHttp });

    app.post<{ Params: { project_name: string } }>(COLLECTION, async (request, reply) => {
      const project = projectParam(request.params);
      const input = parseOrThrow(schemas.webhookTestCreate, request.body);
      const test = await webhookTests.create(project, input);
      try {
        await enqueueWebhookTest(project, test.id);
      } catch (err) {
        request.log.error({ err, project, testId: test.id }, 'webhook test not queued');
        await webhookTests.finish(project, test.id, 'failed', 'the test could not be queued').catch(() => {});
        return reply.code(503).send({ error: 'webhook test could not be queued; try again' });
      }
      request.log.info({ project, testId: test.id }, 'webhook test queued');
      return reply.code(201).send(test);
    });

    app.get<{ Params: { project_name: string; test_id: string } }>(ITEM, async (request) => {
      const project = projectParam(request.params);
      const id = request.params.test_id;
      const test = TEST_ID_RE.test(id) ? await webhookTests.get(project, id) : null;
      if (test === null) throw new HookpostError(ErrorCode.NOT_FOUND, 'webhook test not found (tests expire after a day)');
      return test;
    });
  },

  components({ deps }) {
    const schemas = createApiSchemas({ allowHttp: deps.allowHttp });
    return {
      WebhookTestCreate: toJsonSchema(schemas.webhookTestCreate),
      WebhookTestDetail: toJsonSchema(schemas.webhookTestDetail, 'output'),
    };
  },

  openapi() {
    return {
      '/v2.1/projects/{project_name}/webhooks-tests': {
        parameters: [projectParameter],
        post: {
          operationId: 'webhook_tests_create',
          summary: 'Send a dummy event to a webhook configuration now',
          requestBody: { required: true, content: { 'application/json': { schema: ref('WebhookTestCreate') } } },
          responses: {
            '201': jsonResponse('the pending test', 'WebhookTestDetail'),
            ...errorResponses(400, 401, 413, 415, 503),
          },
        },
      },
      '/v2.1/projects/{project_name}/webhooks-tests/{test_id}': {
        parameters: [projectParameter, { name: 'test_id', in: 'path', required: true, schema: { type: 'string' } }],
        get: {
          operationId: 'webhook_tests_get',
          summary: 'Get a webhook test: pending, then completed or failed with error_message (kept one day)',
          responses: { '200': jsonResponse('the test', 'WebhookTestDetail'), ...errorResponses(400, 401, 404) },
        },
      },
    };
  },
};
