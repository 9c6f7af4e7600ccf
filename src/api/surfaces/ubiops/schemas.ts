/**
 * The UbiOps surface's request and response schemas (UbiOps v2.1 `WebhookCreate`, `WebhookUpdate`,
 * `WebhookTestCreate`, `WebhookDetail`, `WebhookTestDetail`), and hookpost's extensions in the same
 * style (deliveries, dead-letter re-drive, webhook health), in zod. The same objects validate
 * requests and, through `z.toJSONSchema`, make the OpenAPI document.
 */
import { z } from 'zod';
import { ErrorCode, HookpostError } from '../../../errors.js';
import { DELIVERY_OUTCOMES } from '../../../outcomes.js';
import { ALL_EVENTS, OBJECT_TYPES, type ObjectType, eventsOf } from '../../../registry/model.js';
import { WEBHOOK_DEFAULTS } from '../../../registry/store.js';
import { WEBHOOK_TEST_STATUSES } from '../../../registry/webhook-tests.js';
import {
  LIMITS,
  UNREADABLE_DESCRIPTION,
  descriptionSchema,
  eventListSchema,
  eventSchema,
  forbiddenKeyRule,
  headersPatchSchema,
  headersSchema,
  keepSecretsSchema,
  labelsSchema,
  nameSchema,
  objectTypeSchema,
  oneOf,
  secretSchema,
  text,
  timeoutSchema,
  urlSchema,
} from '../../primitives.js';

/** Every given event (`event`, or each of `events`) fits `object_type`. */
const eventsFitObjectType = (
  value: { object_type?: ObjectType; event?: string; events?: readonly string[] },
  ctx: z.RefinementCtx,
) => {
  if (value.object_type === undefined) return;
  const allowed: readonly string[] = eventsOf(value.object_type);
  const message = `must be one of ${allowed.join(', ')} for object_type ${value.object_type}`;
  if (value.event !== undefined && !allowed.includes(value.event)) {
    ctx.addIssue({ code: 'custom', path: ['event'], message });
  }
  value.events?.forEach((event, i) => {
    if (!allowed.includes(event)) ctx.addIssue({ code: 'custom', path: ['events', i], message });
  });
};

/** A create gives `event` or `events`, an update at most one of them. */
const oneEventForm =
  (required: boolean) => (value: { event?: unknown; events?: unknown }, ctx: z.RefinementCtx) => {
    if (value.event !== undefined && value.events !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['events'], message: 'give either event or events, not both' });
    } else if (required && value.event === undefined && value.events === undefined) {
      ctx.addIssue({ code: 'custom', path: ['event'], message: 'required (or events, a list of events)' });
    }
  };

const EVENT_FORMS_DESCRIPTION =
  'Give event (one event, UbiOps) or events (a list, a hookpost extension), not both. Responses show both: event is the first of events.';

export interface ApiSchemaOptions {
  /** Accept `http://` webhook URLs (HOOKPOST_ALLOW_HTTP). */
  readonly allowHttp: boolean;
}

/** Builds the UbiOps surface's schemas; the URL rule depends on `allowHttp`. */
export function createApiSchemas({ allowHttp }: ApiSchemaOptions) {
  const url = urlSchema(allowHttp);
  const version = text(LIMITS.versionMaxChars).nullable();

  const webhookCreate = z
    .strictObject({
      name: nameSchema,
      url,
      headers: headersSchema.default([]),
      object_type: objectTypeSchema,
      object_name: text(LIMITS.objectNameMaxChars),
      version: version.default(WEBHOOK_DEFAULTS.version),
      description: descriptionSchema.default(WEBHOOK_DEFAULTS.description),
      labels: labelsSchema.default({}),
      event: eventSchema.optional(),
      events: eventListSchema.optional().meta({ description: 'Extension: every event that triggers the webhook' }),
      timeout: timeoutSchema.default(WEBHOOK_DEFAULTS.timeout),
      enabled: z.boolean().default(WEBHOOK_DEFAULTS.enabled),
      retry: z.boolean().default(WEBHOOK_DEFAULTS.retry),
      include_result: z.boolean().default(WEBHOOK_DEFAULTS.include_result),
      secret: secretSchema.optional(),
    })
    .superRefine(oneEventForm(true))
    .superRefine(eventsFitObjectType)
    .meta({ description: EVENT_FORMS_DESCRIPTION, oneOf: [{ required: ['event'] }, { required: ['events'] }] });

  /**
   * Every field optional. `object_type`, `object_name` and `version` are hookpost extensions, as
   * are `events` (replaces the list; `event` replaces it with that one event) and `secret`.
   */
  const webhookUpdate = z
    .strictObject({
      name: nameSchema.optional(),
      url: url.optional(),
      headers: headersPatchSchema.optional(),
      object_type: objectTypeSchema.optional(),
      object_name: text(LIMITS.objectNameMaxChars).optional(),
      version: version.optional(),
      description: descriptionSchema.optional(),
      labels: labelsSchema.optional(),
      event: eventSchema.optional().meta({ description: 'Replaces the events with this one' }),
      events: eventListSchema.optional().meta({ description: 'Extension: replaces the events' }),
      timeout: timeoutSchema.optional(),
      enabled: z.boolean().optional(),
      retry: z.boolean().optional(),
      include_result: z.boolean().optional(),
      secret: secretSchema.optional(),
      keep_secrets: keepSecretsSchema,
    })
    .superRefine(oneEventForm(false))
    .superRefine(eventsFitObjectType);

  const webhookTestCreate = z
    .strictObject({
      url,
      object_type: objectTypeSchema,
      object_name: text(LIMITS.objectNameMaxChars),
      event: eventSchema,
      headers: headersSchema.default([]),
      version: version.default(null),
      timeout: timeoutSchema.default(WEBHOOK_DEFAULTS.timeout),
      retry: z.boolean().default(WEBHOOK_DEFAULTS.retry),
      include_result: z.boolean().default(WEBHOOK_DEFAULTS.include_result),
    })
    .superRefine(eventsFitObjectType);

  // Responses carry the same limits as requests, so a client that checks responses (as UbiOps's
  // does) accepts every one; every field is always present.
  const webhookDetail = z.object({
    id: z.uuid(),
    name: z.string().min(1).max(LIMITS.nameMaxChars),
    url: z.string().min(1).max(LIMITS.urlMaxChars),
    headers: z.array(
      z.object({
        key: z.string().min(1).max(LIMITS.headerKeyMaxChars),
        value: z.string().min(1).max(LIMITS.headerValueMaxChars).nullable().meta({ description: 'null when protected' }),
        protected: z.boolean(),
      }),
    ),
    object_type: z.enum(OBJECT_TYPES),
    object_name: z.string().min(1).max(LIMITS.objectNameMaxChars),
    version: z.string().min(1).max(LIMITS.versionMaxChars).nullable(),
    description: z.string().max(LIMITS.descriptionMaxChars),
    labels: z.record(z.string(), z.string()),
    event: z.enum(ALL_EVENTS).meta({ description: 'The first of events' }),
    events: z.array(z.enum(ALL_EVENTS)).min(1).meta({ description: 'Extension: every event that triggers the webhook' }),
    timeout: z.number().int().min(LIMITS.timeoutMinSeconds).max(LIMITS.timeoutMaxSeconds),
    enabled: z.boolean(),
    retry: z.boolean(),
    include_result: z.boolean(),
    secret: z.null().meta({ description: 'Extension, write-only: always null, whether a secret is set or not' }),
    creation_date: z.iso.datetime().meta({ description: 'ISO-8601 UTC; kept through renames' }),
    last_updated: z.iso.datetime().meta({ description: 'ISO-8601 UTC; moves on every change' }),
    secrets_unreadable: z.literal(true).optional().meta({ description: UNREADABLE_DESCRIPTION }),
  });

  const webhookTestDetail = z.object({
    id: z.uuid(),
    status: z.enum(WEBHOOK_TEST_STATUSES),
    error_message: z.string().nullable().meta({ description: 'why the test failed; null otherwise' }),
  });

  /** One test of a webhook's subscribed event (`POST .../webhooks/{webhook_name}/tests`). */
  const webhookEventTest = webhookTestDetail.extend({ event: z.enum(ALL_EVENTS) });

  const listQuery = z.object({
    labels: z
      .string()
      .optional()
      .meta({ description: 'Comma-separated key:value pairs; every pair must match' }),
    object_type: objectTypeSchema.optional(),
    event: eventSchema.optional(),
  });

  return {
    webhookCreate,
    webhookUpdate,
    webhookTestCreate,
    webhookDetail,
    webhookTestDetail,
    webhookEventTest,
    listQuery,
  };
}

export type ApiSchemas = ReturnType<typeof createApiSchemas>;

/** Parses the list filter `labels=k:v,k2:v2`. */
export function parseLabelFilter(raw: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of raw.split(',')) {
    const colon = pair.indexOf(':');
    const key = colon < 0 ? '' : pair.slice(0, colon);
    if (key === '') {
      throw new HookpostError(ErrorCode.VALIDATION, 'labels: must be key:value pairs separated by commas');
    }
    const forbidden = forbiddenKeyRule('label keys')(key);
    if (forbidden !== undefined) throw new HookpostError(ErrorCode.VALIDATION, `labels: ${forbidden}`);
    labels[key] = pair.slice(colon + 1);
  }
  return labels;
}

// ---- Deliveries, re-delivery and webhook health (the attempt log; hookpost extensions) ---------
// deliveries.ts validates with these and publishes them as its OpenAPI components.

const isoOrNull = (description: string) => z.iso.datetime().nullable().meta({ description });

/** Request and response schemas of `/deliveries`, `/dead-letters/redrive` and `/webhooks/{name}/health`. */
export const deliverySchemas = (() => {
  const deliveriesQuery = z.strictObject({
    webhook: nameSchema.optional().meta({ description: 'Webhook name' }),
    webhook_id: z
      .string()
      .regex(/^[0-9a-f-]{36}$/, 'must be a webhook id (a UUID, as webhooks-overview lists them)')
      .optional()
      .meta({ description: 'Webhook id: any webhook, project-wide (UP42) ones included' }),
    event: eventSchema.optional(),
    outcome: z.enum(DELIVERY_OUTCOMES, { error: oneOf(DELIVERY_OUTCOMES) }).optional().meta({ description: 'Outcome of the latest attempt' }),
    request_id: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,128}$/, 'must be 1-128 characters of A-Z, a-z, 0-9, _, . and -')
      .optional(),
    since: z.iso
      .datetime({ offset: true, error: 'must be an ISO-8601 date-time such as 2026-01-05T10:31:00Z' })
      .optional()
      .meta({ description: 'Only deliveries with an attempt at or after this time' }),
    until: z.iso
      .datetime({ offset: true, error: 'must be an ISO-8601 date-time such as 2026-01-05T11:00:00Z' })
      .optional()
      .meta({ description: 'Only deliveries whose last activity is at or before this time' }),
    limit: z.coerce.number().int('must be an integer from 1 to 500').min(1, 'must be an integer from 1 to 500').max(500, 'must be an integer from 1 to 500').default(50),
    cursor: z.string().max(256, 'must be a next_cursor of a previous page').optional().meta({ description: 'next_cursor of the previous page' }),
  });

  const attempt = z.object({
    attempt: z.number().int().min(1).meta({ description: "The attempt's number in the delivery: 1, 2, 3, ...; a re-delivery's attempts go on counting" }),
    redelivery: z.boolean().meta({ description: 'The first attempt of a re-delivery (or dead-letter re-drive)' }),
    started_at: z.iso.datetime(),
    duration_ms: z.number().min(0),
    outcome: z.enum(DELIVERY_OUTCOMES),
    http_status: z.number().int().nullable(),
    error_code: z.string().nullable().meta({ description: 'HTTP_<status>, TIMEOUT, ECONNREFUSED, CIRCUIT_OPEN, WEBHOOK_DELETED, ...' }),
    error_message: z.string().nullable().meta({ description: 'For people: "Timed out after 10 s", "Received HTTP 500", ...' }),
    response_excerpt: z.string().nullable().meta({ description: 'First 1 KiB of the response body when it was text' }),
    next_attempt_at: isoOrNull('When the next attempt is due (outcome retrying)'),
  });

  const deliverySummary = z.object({
    delivery_id: z.string(),
    webhook_id: z.string(),
    webhook_name: z.string().nullable().meta({ description: 'The name when the latest attempt ran' }),
    event: z.enum(ALL_EVENTS),
    request_id: z.string(),
    outcome: z.enum(DELIVERY_OUTCOMES).meta({ description: 'Outcome of the latest attempt' }),
    attempt_count: z.number().int().min(1),
    last_activity_at: z.iso.datetime(),
    http_status: z.number().int().nullable(),
    error_code: z.string().nullable(),
    error_message: z.string().nullable(),
    next_attempt_at: isoOrNull('When the next attempt is due'),
  });

  const deliveryPage = z.object({
    items: z.array(deliverySummary).meta({ description: 'Newest activity first' }),
    next_cursor: z.string().nullable().meta({ description: 'Pass as cursor for the next (older) page; null at the end' }),
  });

  const deliveryDetail = deliverySummary.extend({
    event_kept: z.boolean().meta({ description: 'The producer event is kept: the delivery can be re-delivered' }),
    dead_letter: z.boolean().meta({ description: 'The delivery is a dead letter now' }),
    attempts: z.array(attempt).meta({ description: 'Oldest first (the last 50 at most)' }),
  });

  const redeliverResult = z.object({ delivery_id: z.string(), status: z.literal('queued') });

  const redriveRequest = z.strictObject({
    webhook: nameSchema.optional().meta({ description: 'Only dead letters of this webhook' }),
    since: z.iso
      .datetime({ offset: true, error: 'must be an ISO-8601 date-time such as 2026-01-05T10:31:00Z' })
      .optional()
      .meta({ description: 'Only dead letters that failed at or after this time' }),
    limit: z.number().int().min(1, 'must be an integer from 1 to 1000').max(1_000, 'must be an integer from 1 to 1000').default(1_000),
  });

  const redriveResult = z.object({
    queued: z.number().int().min(0),
    remaining: z.number().int().min(0).meta({ description: 'Matching dead letters left (call again to queue them)' }),
  });

  const webhookHealth = z.object({
    webhook_id: z.string(),
    webhook_name: z.string(),
    enabled: z.boolean(),
    last_success_at: isoOrNull('Latest successful attempt'),
    last_failure_at: isoOrNull('Latest failed attempt'),
    last_failure_message: z.string().nullable(),
    recent_attempts: z.number().int().min(0).meta({ description: 'Attempts sent among the last 100' }),
    recent_successes: z.number().int().min(0),
    success_ratio: z.number().min(0).max(1).nullable().meta({ description: 'recent_successes / recent_attempts; null without attempts' }),
    circuit: z.enum(['closed', 'failing', 'open', 'unknown']).meta({
      description:
        'Derived from the recent attempts (the circuit itself lives in each worker): open when the latest attempt was not sent ' +
        'because a circuit was open, failing after 3 failed attempts in a row, unknown without attempts',
    }),
  });

  return { deliveriesQuery, deliverySummary, deliveryPage, deliveryDetail, redeliverResult, redriveRequest, redriveResult, webhookHealth };
})();
