/**
 * What was delivered (hookpost extensions, UbiOps style): `/v2.1/projects/{project_name}/deliveries`
 * from the attempt log (newest activity first, cursor pagination), one delivery with its attempts,
 * re-delivery of any delivery, a bulk re-drive of dead letters, and per-webhook health.
 */
import { type AttemptRecord, type DeliverySummary, type WebhookHealth, decodeCursor } from '../../../attempts/index.js';
import { ErrorCode, HookpostError } from '../../../errors.js';
import { DELIVERY_OUTCOMES } from '../../../outcomes.js';
import type { Webhook } from '../../../registry/model.js';
import { type OpenApiPaths, errorResponses, jsonResponse, ref, toJsonSchema } from '../../openapi.js';
import { isWebhookName, parseOrThrow } from '../../primitives.js';
import type { RouteModule } from '../../route-contract.js';
import { deliverySchemas } from './schemas.js';
import { projectParam, webhookNotFound } from './views.js';

const BASE = '/v2.1/projects/:project_name';
const DELIVERY_ID_RE = /^[0-9a-f-]{36}$/;
const NOT_KEPT = 'delivery not found (the attempt log keeps deliveries for HOOKPOST_ATTEMPT_LOG_MAX_AGE, 7 days by default)';

const iso = (ms: number | undefined | null) => (ms === undefined || ms === null ? null : new Date(ms).toISOString());

function attemptView(a: AttemptRecord) {
  return {
    attempt: a.attempt,
    started_at: new Date(a.startedAt).toISOString(),
    duration_ms: a.durationMs,
    outcome: a.outcome,
    http_status: a.httpStatus ?? null,
    error_code: a.errorCode ?? null,
    error_message: a.errorMessage ?? null,
    response_excerpt: a.responseExcerpt ?? null,
    next_attempt_at: iso(a.nextAttemptAt),
  };
}

function summaryView(s: DeliverySummary) {
  const l = s.latest;
  return {
    delivery_id: l.deliveryId,
    webhook_id: l.webhookId,
    webhook_name: l.webhookName ?? null,
    event: l.event,
    request_id: l.requestId,
    outcome: l.outcome,
    attempt_count: s.attemptCount,
    last_activity_at: new Date(s.activityAt).toISOString(),
    http_status: l.httpStatus ?? null,
    error_code: l.errorCode ?? null,
    error_message: l.errorMessage ?? null,
    next_attempt_at: iso(l.nextAttemptAt),
  };
}

function healthView(webhook: Webhook, h: WebhookHealth) {
  return {
    webhook_id: webhook.id,
    webhook_name: webhook.name,
    enabled: webhook.enabled,
    last_success_at: iso(h.lastSuccessAt),
    last_failure_at: iso(h.lastFailureAt),
    last_failure_message: h.lastFailureMessage,
    recent_attempts: h.recentAttempts,
    recent_successes: h.recentSuccesses,
    success_ratio: h.recentAttempts === 0 ? null : Math.round((h.recentSuccesses / h.recentAttempts) * 1000) / 1000,
    circuit: h.circuit,
  };
}

function deliveryIdParam(raw: string): string {
  if (!DELIVERY_ID_RE.test(raw)) throw new HookpostError(ErrorCode.NOT_FOUND, NOT_KEPT);
  return raw;
}

/** Served when the API has the attempt log (`deps.deliveryLog`). */
export const deliveryRoutes: RouteModule = {
  name: 'deliveries',

  register(app, { deps: api }) {
    const { registry, deliveryLog: deps } = api;
    if (!deps) return;
    const webhookByName = async (project: string, name: string): Promise<Webhook> => {
      const webhook = isWebhookName(name) ? await registry.get(project, name) : null;
      if (!webhook) throw webhookNotFound(name);
      return webhook;
    };

    app.get<{ Params: { project_name: string } }>(`${BASE}/deliveries`, async (request) => {
      const project = projectParam(request.params);
      const q = parseOrThrow(deliverySchemas.deliveriesQuery, request.query);
      const webhookId = q.webhook === undefined ? undefined : (await webhookByName(project, q.webhook)).id;
      if (q.cursor !== undefined && decodeCursor(q.cursor) === undefined) {
        throw new HookpostError(ErrorCode.VALIDATION, 'cursor: must be a next_cursor of a previous page');
      }
      const page = await deps.attempts.list(project, {
        webhookId,
        event: q.event,
        outcome: q.outcome,
        requestId: q.request_id,
        since: q.since === undefined ? undefined : Date.parse(q.since),
        limit: q.limit,
        cursor: q.cursor,
      });
      return { items: page.items.map(summaryView), next_cursor: page.nextCursor };
    });

    app.get<{ Params: { project_name: string; delivery_id: string } }>(`${BASE}/deliveries/:delivery_id`, async (request) => {
      const project = projectParam(request.params);
      const id = deliveryIdParam(request.params.delivery_id);
      const [detail, letter] = await Promise.all([deps.attempts.get(project, id), deps.deadLetters.get(project, id)]);
      if (!detail) throw new HookpostError(ErrorCode.NOT_FOUND, NOT_KEPT);
      return {
        ...summaryView(detail),
        event_kept: detail.eventKept || letter !== null,
        dead_letter: letter !== null,
        attempts: detail.attempts.map(attemptView),
      };
    });

    app.post<{ Params: { project_name: string; delivery_id: string } }>(`${BASE}/deliveries/:delivery_id/redeliver`, async (request, reply) => {
      const project = projectParam(request.params);
      const id = deliveryIdParam(request.params.delivery_id);
      const result = await deps.redeliver(project, id);
      if (result === 'not_found') throw new HookpostError(ErrorCode.NOT_FOUND, NOT_KEPT);
      if (result === 'event_gone') throw new HookpostError(ErrorCode.NOT_FOUND, 'the event of this delivery is no longer kept');
      request.log.info({ project, deliveryId: id }, 'delivery re-delivered');
      return reply.code(202).send({ delivery_id: id, status: 'queued' });
    });

    app.post<{ Params: { project_name: string } }>(`${BASE}/dead-letters/redrive`, async (request, reply) => {
      const project = projectParam(request.params);
      const input = parseOrThrow(deliverySchemas.redriveRequest, request.body ?? {});
      const webhookId = input.webhook === undefined ? undefined : (await webhookByName(project, input.webhook)).id;
      const result = await deps.redriveDeadLetters(project, {
        webhookId,
        since: input.since === undefined ? undefined : Date.parse(input.since),
        limit: input.limit,
      });
      request.log.info({ project, queued: result.queued, remaining: result.remaining }, 'dead letters re-driven');
      return reply.code(202).send(result);
    });

    app.get<{ Params: { project_name: string; webhook_name: string } }>(`${BASE}/webhooks/:webhook_name/health`, async (request) => {
      const project = projectParam(request.params);
      const webhook = await webhookByName(project, request.params.webhook_name);
      return healthView(webhook, await deps.attempts.health(project, webhook.id));
    });

    app.get<{ Params: { project_name: string } }>(`${BASE}/webhooks-health`, async (request) => {
      const project = projectParam(request.params);
      const webhooks = await registry.list(project);
      return Promise.all(webhooks.map(async (w) => healthView(w, await deps.attempts.health(project, w.id))));
    });
  },

  // Published with or without the attempt log, so clients generated from any API process agree.
  components: () => ({
    DeliveryPage: toJsonSchema(deliverySchemas.deliveryPage, 'output'),
    DeliveryDetail: toJsonSchema(deliverySchemas.deliveryDetail, 'output'),
    RedeliverResult: toJsonSchema(deliverySchemas.redeliverResult, 'output'),
    DeadLetterRedrive: toJsonSchema(deliverySchemas.redriveRequest),
    DeadLetterRedriveResult: toJsonSchema(deliverySchemas.redriveResult, 'output'),
    WebhookHealth: toJsonSchema(deliverySchemas.webhookHealth, 'output'),
  }),

  openapi({ deps }): OpenApiPaths {
    if (!deps.deliveryLog) return {};
    const project = { name: 'project_name', in: 'path', required: true, schema: { type: 'string' } };
    const delivery = { name: 'delivery_id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
    const webhook = { name: 'webhook_name', in: 'path', required: true, schema: { type: 'string' } };
    const query = (name: string, schema: Record<string, unknown>, description: string) => ({ name, in: 'query', schema, description });
    return {
      '/v2.1/projects/{project_name}/deliveries': {
        parameters: [project],
        get: {
          operationId: 'deliveries_list',
          summary: 'Deliveries from the attempt log, newest activity first; pass next_cursor as cursor for the next page',
          parameters: [
            query('webhook', { type: 'string' }, 'webhook name'),
            query('event', { type: 'string' }, 'e.g. deployment_request_completed'),
            query('outcome', { type: 'string', enum: [...DELIVERY_OUTCOMES] }, 'outcome of the latest attempt'),
            query('request_id', { type: 'string' }, 'the producer request id'),
            query('since', { type: 'string', format: 'date-time' }, 'only deliveries active at or after this time'),
            query('limit', { type: 'integer', minimum: 1, maximum: 500, default: 50 }, 'items per page'),
            query('cursor', { type: 'string' }, 'next_cursor of the previous page'),
          ],
          responses: { '200': jsonResponse('a page of deliveries', 'DeliveryPage'), ...errorResponses(400, 401, 404) },
        },
      },
      '/v2.1/projects/{project_name}/deliveries/{delivery_id}': {
        parameters: [project, delivery],
        get: {
          operationId: 'deliveries_get',
          summary: 'One delivery with its attempts',
          responses: { '200': jsonResponse('the delivery', 'DeliveryDetail'), ...errorResponses(401, 404) },
        },
      },
      '/v2.1/projects/{project_name}/deliveries/{delivery_id}/redeliver': {
        parameters: [project, delivery],
        post: {
          operationId: 'deliveries_redeliver',
          summary: 'Send the delivery again: same delivery id, fresh attempts (any delivery whose event is kept)',
          responses: { '202': jsonResponse('queued', 'RedeliverResult'), ...errorResponses(401, 404) },
        },
      },
      '/v2.1/projects/{project_name}/dead-letters/redrive': {
        parameters: [project],
        post: {
          operationId: 'dead_letters_redrive_bulk',
          summary: 'Re-drive the dead letters that match (webhook, since), up to limit; says how many it queued and how many remain',
          requestBody: { required: false, content: { 'application/json': { schema: ref('DeadLetterRedrive') } } },
          responses: { '202': jsonResponse('queued', 'DeadLetterRedriveResult'), ...errorResponses(400, 401, 404) },
        },
      },
      '/v2.1/projects/{project_name}/webhooks/{webhook_name}/health': {
        parameters: [project, webhook],
        get: {
          operationId: 'webhooks_health',
          summary: "A webhook's recent delivery health (circuit state derived from the recent attempts)",
          responses: { '200': jsonResponse('health', 'WebhookHealth'), ...errorResponses(401, 404) },
        },
      },
      '/v2.1/projects/{project_name}/webhooks-health': {
        parameters: [project],
        get: {
          operationId: 'webhooks_health_list',
          summary: 'Health of every webhook of the project',
          responses: {
            '200': { description: 'health per webhook', content: { 'application/json': { schema: { type: 'array', items: ref('WebhookHealth') } } } },
            ...errorResponses(401),
          },
        },
      },
    };
  },
};
