/**
 * `/v2.1/projects/{project_name}/dead-letters`: deliveries whose attempts are exhausted (or that
 * were refused), kept a week; list, inspect, and re-drive them. Not part of UbiOps' API.
 */
import { z } from 'zod';
import type { DeadLetter } from '../../../dead-letters/index.js';
import { ErrorCode, HookpostError } from '../../../errors.js';
import { publishedEvent } from '../../../events/index.js';
import { type OpenApiPaths, errorResponses } from '../../openapi.js';
import { parseOrThrow } from '../../primitives.js';
import type { RouteModule } from '../../route-contract.js';
import { projectParam } from './views.js';

const COLLECTION = '/v2.1/projects/:project_name/dead-letters';
const ITEM = `${COLLECTION}/:delivery_id`;
const DELIVERY_ID_RE = /^[0-9a-f-]{36}$/;

const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
});

/** The API view: snake_case like the rest of the API; the producer's event is shown in full. */
function view(letter: DeadLetter) {
  return {
    delivery_id: letter.deliveryId,
    webhook_id: letter.webhookId,
    event: letter.webhookEvent,
    request_id: letter.event.request_id,
    attempts: letter.attempts,
    error_code: letter.errorCode,
    error_message: letter.errorMessage,
    failed_at: letter.failedAt,
    request_event: publishedEvent(letter.event),
  };
}

function deliveryIdParam(raw: string): string {
  if (!DELIVERY_ID_RE.test(raw)) throw new HookpostError(ErrorCode.NOT_FOUND, 'dead letter not found');
  return raw;
}

/** Served when the API has the dead letters (`deps.deliveryLog`). */
export const deadLetterRoutes: RouteModule = {
  name: 'dead-letters',

  register(app, { deps: api }) {
    const deps = api.deliveryLog;
    if (!deps) return;
    app.get<{ Params: { project_name: string } }>(COLLECTION, async (request) => {
      const project = projectParam(request.params);
      const query = parseOrThrow(listQuery, request.query);
      return (await deps.deadLetters.list(project, query)).map(view);
    });

    app.get<{ Params: { project_name: string; delivery_id: string } }>(ITEM, async (request) => {
      const letter = await deps.deadLetters.get(projectParam(request.params), deliveryIdParam(request.params.delivery_id));
      if (!letter) throw new HookpostError(ErrorCode.NOT_FOUND, 'dead letter not found (kept 7 days)');
      return view(letter);
    });

    app.post<{ Params: { project_name: string; delivery_id: string } }>(`${ITEM}/redrive`, async (request, reply) => {
      const project = projectParam(request.params);
      const letter = await deps.redriveDeadLetter(project, deliveryIdParam(request.params.delivery_id));
      if (!letter) throw new HookpostError(ErrorCode.NOT_FOUND, 'dead letter not found (kept 7 days)');
      request.log.info({ project, deliveryId: letter.deliveryId }, 'dead letter re-driven');
      return reply.code(202).send({ delivery_id: letter.deliveryId, status: 'queued' });
    });
  },

  openapi({ deps }): OpenApiPaths {
    if (!deps.deliveryLog) return {};
    const project = { name: 'project_name', in: 'path', required: true, schema: { type: 'string' } };
    const delivery = { name: 'delivery_id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
    const json = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'object' } } } });
    return {
      '/v2.1/projects/{project_name}/dead-letters': {
        parameters: [project],
        get: {
          operationId: 'dead_letters_list',
          summary: 'Deliveries that exhausted their attempts or were refused (newest first, kept 7 days)',
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
            { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
          ],
          responses: { '200': json('dead letters'), ...errorResponses(400, 401) },
        },
      },
      '/v2.1/projects/{project_name}/dead-letters/{delivery_id}': {
        parameters: [project, delivery],
        get: { operationId: 'dead_letters_get', summary: 'One dead letter', responses: { '200': json('the dead letter'), ...errorResponses(401, 404) } },
      },
      '/v2.1/projects/{project_name}/dead-letters/{delivery_id}/redrive': {
        parameters: [project, delivery],
        post: {
          operationId: 'dead_letters_redrive',
          summary: 'Send it again with fresh attempts and the same delivery id',
          responses: { '202': json('queued'), ...errorResponses(401, 404) },
        },
      },
    };
  },
};
