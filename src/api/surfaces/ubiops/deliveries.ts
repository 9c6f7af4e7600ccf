/**
 * What was delivered (hookpost extensions, UbiOps style): `/v2.1/projects/{project_name}/deliveries`
 * from the attempt log (newest activity first, cursor pagination), one delivery with its attempts
 * and the request it sends, re-delivery of any delivery, a bulk re-drive of dead letters,
 * per-webhook health, every webhook of the project at a glance (both surfaces' webhooks, readable
 * or not), and per-webhook success rate and latency over the last hour and day.
 */
import { z } from 'zod';
import {
  type AttemptAggregate,
  type AttemptRecord,
  type DeliverySummary,
  type LoggedAttempt,
  type StatsWindow,
  type WebhookHealth,
  type WebhookStats,
  decodeCursor,
  eventForRedelivery,
} from '../../../attempts/index.js';
import { DELIVERY_ID_HEADER, isOwnedHeader } from '../../../delivery/owned-headers.js';
import { ErrorCode, HookpostError } from '../../../errors.js';
import type { RequestEvent } from '../../../events/index.js';
import { DELIVERY_OUTCOMES } from '../../../outcomes.js';
import { buildPayload } from '../../../payload/index.js';
import type { Registry, UnreadableWebhook } from '../../../registry/index.js';
import { ALL_EVENTS, type Webhook, isProjectWide } from '../../../registry/model.js';
import { contentDigest } from '../../../signing/index.js';
import { type JsonSchema, type OpenApiPaths, errorResponses, jsonResponse, ref, toJsonSchema } from '../../openapi.js';
import { isWebhookName, parseOrThrow } from '../../primitives.js';
import type { RouteModule } from '../../route-contract.js';
import { deliverySchemas } from './schemas.js';
import { projectParam, webhookNotFound } from './views.js';

const BASE = '/v2.1/projects/:project_name';
const DELIVERY_ID_RE = /^[0-9a-f-]{36}$/;
const NOT_KEPT = 'delivery not found (the attempt log keeps deliveries for HOOKPOST_ATTEMPT_LOG_MAX_AGE, 7 days by default)';

const iso = (ms: number | undefined | null) => (ms === undefined || ms === null ? null : new Date(ms).toISOString());

function attemptView(a: LoggedAttempt) {
  return {
    attempt: a.sequence,
    // The worker counts each run from 1: a later attempt numbered 1 started a re-delivery.
    redelivery: a.sequence > 1 && a.attempt === 1,
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

/** The windows of `webhooks-stats`: the last hour in 5-minute buckets, the last day in hours. */
export const STATS_WINDOWS: readonly StatsWindow[] = Object.freeze([
  { name: '1h', durationMs: 3_600_000, bucketMs: 300_000 },
  { name: '24h', durationMs: 86_400_000, bucketMs: 3_600_000 },
]);

const round1 = (ms: number | null) => (ms === null ? null : Math.round(ms * 10) / 10);
const rate = (a: AttemptAggregate) => (a.attempts === 0 ? null : Math.round((a.successes / a.attempts) * 1000) / 1000);

function aggregateView(a: AttemptAggregate) {
  return { attempts: a.attempts, successes: a.successes, success_rate: rate(a), p50_ms: round1(a.p50Ms), p99_ms: round1(a.p99Ms) };
}

function statsView(webhook: Webhook, stats: WebhookStats) {
  return {
    webhook_id: webhook.id,
    webhook_name: webhook.name,
    oldest_kept_at: iso(stats.oldestKeptAt),
    windows: stats.windows.map((w) => ({
      window: w.name,
      from: new Date(w.fromMs).toISOString(),
      to: new Date(w.toMs).toISOString(),
      bucket_seconds: w.bucketMs / 1000,
      ...aggregateView(w),
      buckets: w.buckets.map((b, i) => ({ start: new Date(w.fromMs + i * w.bucketMs).toISOString(), ...aggregateView(b) })),
    })),
  };
}

/** A webhook as the monitoring page lists it: either surface's, readable or not; no protected value. */
function overviewView(w: Webhook, health: WebhookHealth, problem: string | null) {
  return {
    webhook_id: w.id,
    name: w.name,
    scope: isProjectWide(w) ? ('project' as const) : ('object' as const),
    object_type: w.object_type,
    object_name: w.object_name,
    version: w.version,
    url: w.url,
    events: w.events,
    enabled: w.enabled,
    retry: w.retry,
    timeout: w.timeout,
    include_result: w.include_result,
    headers: w.headers.map((h) => ({ key: h.key, value: h.protected ? null : h.value, protected: h.protected })),
    has_secret: w.secret !== null,
    readable: problem === null,
    problem,
    health: healthView(w, health),
  };
}

/** Headers hookpost sets on each attempt with a value that changes per attempt (not shown). */
const PER_ATTEMPT_HEADERS = ['user-agent', 'date', 'signature-input', 'signature', 'webhook-timestamp'] as const;

/**
 * The request a delivery sends, rebuilt: the webhook's URL and headers as configured now
 * (protected values null), hookpost's own headers (null where they change per attempt), and the
 * payload from the event kept with the delivery (or its dead letter).
 */
function requestView(webhook: Webhook, deliveryId: string, webhookEvent: AttemptRecord['event'], kept: { event: RequestEvent; exact: boolean } | null) {
  const body = kept === null ? null : buildPayload(kept.event, webhookEvent, webhook.include_result).body;
  const exact = body !== null && kept?.exact === true;
  type Header = { name: string; value: string | null; source: 'webhook' | 'protected' | 'hookpost' | 'per_attempt' };
  const headers: Header[] = webhook.headers
    .filter((h) => !isOwnedHeader(h.key))
    .map((h) => ({ name: h.key.toLowerCase(), value: h.protected ? null : h.value, source: h.protected ? 'protected' : 'webhook' }));
  headers.push(
    { name: 'content-type', value: 'application/json', source: 'hookpost' },
    { name: DELIVERY_ID_HEADER, value: deliveryId, source: 'hookpost' },
    // SHA-512 as the signer writes it; shown only when the rebuilt body is the one sent.
    { name: 'content-digest', value: exact && body !== null ? contentDigest(body) : null, source: exact ? 'hookpost' : 'per_attempt' },
    { name: 'webhook-id', value: deliveryId, source: 'hookpost' },
    ...PER_ATTEMPT_HEADERS.map((name): Header => ({ name, value: null, source: 'per_attempt' })),
  );
  if (webhook.secret !== null) headers.push({ name: 'webhook-signature', value: null, source: 'per_attempt' });
  return {
    method: 'POST' as const,
    url: webhook.url,
    headers,
    body: body === null ? null : body.toString('utf8'),
    body_exact: kept?.exact === true,
  };
}

function deliveryIdParam(raw: string): string {
  if (!DELIVERY_ID_RE.test(raw)) throw new HookpostError(ErrorCode.NOT_FOUND, NOT_KEPT);
  return raw;
}

const WEBHOOK_ID_RE = /^[0-9a-f-]{36}$/;

/** Every webhook of a project, readable or not (a record whose key is missing must not hide the others). */
async function listEveryWebhook(registry: Registry, project: string): Promise<Array<{ webhook: Webhook; problem: string | null }>> {
  const { readable, unreadable } = await registry.listReadable(project);
  const all = [...readable.map((webhook) => ({ webhook, problem: null })), ...unreadable.map((u: UnreadableWebhook) => u)];
  return all.sort((a, b) => (a.webhook.name < b.webhook.name ? -1 : a.webhook.name > b.webhook.name ? 1 : 0));
}

/** Response schemas of the monitoring endpoints (documented in the OpenAPI document). */
const monitoringSchemas = (() => {
  const isoOrNull = (description: string) => z.iso.datetime().nullable().meta({ description });
  const aggregate = {
    attempts: z.number().int().min(0).meta({ description: 'Attempts sent (or refused by the destination guard); circuit-open and skipped ones are not counted' }),
    successes: z.number().int().min(0),
    success_rate: z.number().min(0).max(1).nullable().meta({ description: 'successes / attempts; null without attempts' }),
    p50_ms: z.number().min(0).nullable().meta({ description: 'Median attempt duration (nearest rank), ms; null without attempts' }),
    p99_ms: z.number().min(0).nullable().meta({ description: '99th percentile attempt duration (nearest rank), ms' }),
  };
  const webhookStats = z.object({
    webhook_id: z.string(),
    webhook_name: z.string(),
    oldest_kept_at: isoOrNull(
      "Last activity of the oldest delivery the attempt log keeps for the webhook; later than a window's from, the figures cover only the part of the window the log keeps",
    ),
    windows: z.array(
      z.object({
        window: z.string().meta({ description: '1h or 24h' }),
        from: z.iso.datetime(),
        to: z.iso.datetime(),
        bucket_seconds: z.number().int().min(1),
        ...aggregate,
        buckets: z.array(z.object({ start: z.iso.datetime(), ...aggregate })).meta({ description: 'Oldest first: 12 of 5 minutes (1h), 24 of an hour (24h)' }),
      }),
    ),
  });
  const webhookStatsList = z.object({ generated_at: z.iso.datetime(), webhooks: z.array(webhookStats) });
  const webhookOverview = z.object({
    webhook_id: z.string(),
    name: z.string(),
    scope: z.enum(['object', 'project']).meta({ description: 'object: on one deployment or pipeline (/v2.1 surface); project: project-wide (UP42 surface)' }),
    object_type: z.enum(['deployment', 'pipeline']).nullable(),
    object_name: z.string().nullable(),
    version: z.string().nullable(),
    url: z.string(),
    events: z.array(z.enum(ALL_EVENTS)),
    enabled: z.boolean(),
    retry: z.boolean(),
    timeout: z.number().int(),
    include_result: z.boolean(),
    headers: z.array(z.object({ key: z.string(), value: z.string().nullable().meta({ description: 'null for a protected header' }), protected: z.boolean() })),
    has_secret: z.boolean(),
    readable: z.boolean().meta({ description: "false when the record's protected values cannot be decrypted (its encryption key is not configured)" }),
    problem: z.string().nullable().meta({ description: 'Why the record is unreadable (names the key id, never a value)' }),
    health: deliverySchemas.webhookHealth,
  });
  const deliveryRequest = z.object({
    method: z.literal('POST'),
    url: z.string().meta({ description: "The webhook's URL now" }),
    headers: z.array(
      z.object({
        name: z.string(),
        value: z.string().nullable().meta({ description: 'null: protected, or set anew on each attempt' }),
        source: z.enum(['webhook', 'protected', 'hookpost', 'per_attempt']),
      }),
    ),
    body: z.string().nullable().meta({ description: 'The payload, rebuilt from the kept event; null when the event is no longer kept' }),
    body_exact: z.boolean().meta({ description: 'false when the kept event lacks the result (over 4 KiB) and the rebuilt payload says result_truncated' }),
  });
  return { webhookStatsList, webhookOverview, deliveryRequest };
})();

const statsQuery = z.strictObject({
  webhook_id: z.string().regex(WEBHOOK_ID_RE, 'must be a webhook id (a UUID, as webhooks-overview lists them)').optional(),
});

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
      if (q.webhook !== undefined && q.webhook_id !== undefined) {
        throw new HookpostError(ErrorCode.VALIDATION, 'webhook_id: give either webhook or webhook_id, not both');
      }
      const webhookId = q.webhook === undefined ? q.webhook_id : (await webhookByName(project, q.webhook)).id;
      if (q.cursor !== undefined && decodeCursor(q.cursor) === undefined) {
        throw new HookpostError(ErrorCode.VALIDATION, 'cursor: must be a next_cursor of a previous page');
      }
      const page = await deps.attempts.list(project, {
        webhookId,
        event: q.event,
        outcome: q.outcome,
        requestId: q.request_id,
        since: q.since === undefined ? undefined : Date.parse(q.since),
        until: q.until === undefined ? undefined : Date.parse(q.until),
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
      const webhooks = await listEveryWebhook(registry, project);
      return Promise.all(webhooks.map(async ({ webhook: w }) => healthView(w, await deps.attempts.health(project, w.id))));
    });

    app.get<{ Params: { project_name: string } }>(`${BASE}/webhooks-overview`, async (request) => {
      const project = projectParam(request.params);
      const webhooks = await listEveryWebhook(registry, project);
      return Promise.all(
        webhooks.map(async ({ webhook, problem }) => overviewView(webhook, await deps.attempts.health(project, webhook.id), problem)),
      );
    });

    app.get<{ Params: { project_name: string }; Querystring: Record<string, string> }>(`${BASE}/webhooks-stats`, async (request) => {
      const project = projectParam(request.params);
      const q = parseOrThrow(statsQuery, request.query);
      const nowMs = Date.now();
      const webhooks = (await listEveryWebhook(registry, project)).filter((w) => q.webhook_id === undefined || w.webhook.id === q.webhook_id);
      if (q.webhook_id !== undefined && webhooks.length === 0) throw new HookpostError(ErrorCode.NOT_FOUND, 'webhook not found');
      const stats = [];
      // One webhook at a time: each reads up to HOOKPOST_ATTEMPT_LOG_PER_WEBHOOK deliveries.
      for (const { webhook } of webhooks) stats.push(statsView(webhook, await deps.attempts.stats(project, webhook.id, STATS_WINDOWS, nowMs)));
      return { generated_at: new Date(nowMs).toISOString(), webhooks: stats };
    });

    app.get<{ Params: { project_name: string; delivery_id: string } }>(`${BASE}/deliveries/:delivery_id/request`, async (request) => {
      const project = projectParam(request.params);
      const id = deliveryIdParam(request.params.delivery_id);
      const [detail, letter] = await Promise.all([deps.attempts.get(project, id), deps.deadLetters.get(project, id)]);
      if (!detail) throw new HookpostError(ErrorCode.NOT_FOUND, NOT_KEPT);
      const { webhookId, event } = detail.latest;
      const webhook = (await listEveryWebhook(registry, project)).find((w) => w.webhook.id === webhookId)?.webhook;
      if (!webhook) throw new HookpostError(ErrorCode.NOT_FOUND, 'the webhook of this delivery no longer exists');
      let kept: { event: RequestEvent; exact: boolean } | null = null;
      if (letter) kept = { event: letter.event, exact: true };
      else {
        const logged = await deps.attempts.event(project, id);
        if (logged) kept = { event: eventForRedelivery(logged), exact: logged.resultKept };
      }
      return requestView(webhook, id, event, kept);
    });
  },

  // Published with or without the attempt log, so clients generated from any API process agree.
  components: (): Record<string, JsonSchema> => ({
    DeliveryPage: toJsonSchema(deliverySchemas.deliveryPage, 'output'),
    DeliveryDetail: toJsonSchema(deliverySchemas.deliveryDetail, 'output'),
    RedeliverResult: toJsonSchema(deliverySchemas.redeliverResult, 'output'),
    DeadLetterRedrive: toJsonSchema(deliverySchemas.redriveRequest),
    DeadLetterRedriveResult: toJsonSchema(deliverySchemas.redriveResult, 'output'),
    WebhookHealth: toJsonSchema(deliverySchemas.webhookHealth, 'output'),
    WebhookOverview: toJsonSchema(monitoringSchemas.webhookOverview, 'output'),
    WebhookStatsList: toJsonSchema(monitoringSchemas.webhookStatsList, 'output'),
    DeliveryRequest: toJsonSchema(monitoringSchemas.deliveryRequest, 'output'),
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
            query('webhook_id', { type: 'string', format: 'uuid' }, 'webhook id (any webhook, project-wide ones included)'),
            query('event', { type: 'string' }, 'e.g. deployment_request_completed'),
            query('outcome', { type: 'string', enum: [...DELIVERY_OUTCOMES] }, 'outcome of the latest attempt'),
            query('request_id', { type: 'string' }, 'the producer request id'),
            query('since', { type: 'string', format: 'date-time' }, 'only deliveries active at or after this time'),
            query('until', { type: 'string', format: 'date-time' }, 'only deliveries whose last activity is at or before this time'),
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
      '/v2.1/projects/{project_name}/deliveries/{delivery_id}/request': {
        parameters: [project, delivery],
        get: {
          operationId: 'deliveries_request',
          summary:
            "The request the delivery sends, rebuilt: the webhook's URL and headers now (protected values null), " +
            "hookpost's headers (null where set anew per attempt), and the payload from the kept event",
          responses: { '200': jsonResponse('the request', 'DeliveryRequest'), ...errorResponses(401, 404) },
        },
      },
      '/v2.1/projects/{project_name}/webhooks-overview': {
        parameters: [project],
        get: {
          operationId: 'webhooks_overview',
          summary:
            'Every webhook of the project, on one object or project-wide (UP42), with its health; a webhook whose protected ' +
            'values cannot be decrypted is listed with readable: false and why',
          responses: {
            '200': { description: 'the webhooks, sorted by name', content: { 'application/json': { schema: { type: 'array', items: ref('WebhookOverview') } } } },
            ...errorResponses(401),
          },
        },
      },
      '/v2.1/projects/{project_name}/webhooks-stats': {
        parameters: [project],
        get: {
          operationId: 'webhooks_stats',
          summary:
            'Per webhook, success rate and p50/p99 attempt duration over the last hour (5-minute buckets) and day (hourly ' +
            'buckets), aggregated from the attempt log when asked',
          parameters: [query('webhook_id', { type: 'string', format: 'uuid' }, 'only this webhook')],
          responses: { '200': jsonResponse('the figures', 'WebhookStatsList'), ...errorResponses(400, 401, 404) },
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
