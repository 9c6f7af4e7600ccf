/**
 * The API's request and response schemas (UbiOps v2.1 `WebhookCreate`, `WebhookUpdate`,
 * `WebhookTestCreate`, `WebhookDetail`, `WebhookTestDetail`; seeds/000_*), in zod. The same
 * objects validate requests and, through `z.toJSONSchema`, make the OpenAPI document.
 */
import { z } from 'zod';
import { OWNED_HEADERS } from '../delivery/index.js';
import { ErrorCode, HookpostError } from '../errors.js';
import { DELIVERY_OUTCOMES } from '../outcomes.js';
import { ALL_EVENTS, OBJECT_TYPES, type ObjectType, eventsOf } from '../registry/model.js';
import { SECRET_LIMITS, assertValidSecret } from '../registry/secrets.js';
import { WEBHOOK_DEFAULTS } from '../registry/store.js';
import { WEBHOOK_TEST_STATUSES } from '../registry/webhook-tests.js';

/**
 * Size limits of the API (characters unless named otherwise). Where UbiOps states a limit (seed
 * `000_*` and its generated client, which enforces them on requests and responses) it is the same
 * here: name 1-64, description at most 400, timeout 1-30 (default 10), header key and value,
 * object_name and version at least 1. The others are hookpost's own bounds.
 */
export const LIMITS = Object.freeze({
  nameMaxChars: 64,
  urlMaxChars: 2048,
  descriptionMaxChars: 400,
  labelsMaxPairs: 32,
  labelKeyMaxChars: 64,
  labelValueMaxChars: 64,
  headersMaxEntries: 32,
  headerKeyMaxChars: 256,
  headerValueMaxChars: 4096,
  objectNameMaxChars: 128,
  versionMaxChars: 128,
  timeoutMinSeconds: 1,
  timeoutMaxSeconds: 30,
});

/**
 * Header keys hookpost sets or drops itself when sending, compared case-insensitively: a webhook
 * cannot configure them. The delivery side's own list, so the two cannot drift.
 */
export const RESERVED_HEADER_KEYS: readonly string[] = OWNED_HEADERS;

/**
 * Keys that are refused wherever an API key becomes an object property (header keys, label keys,
 * label filters): on a plain object they would set its prototype or shadow its constructor.
 */
export const FORBIDDEN_OBJECT_KEYS: readonly string[] = Object.freeze(['__proto__', 'constructor', 'prototype']);
const forbiddenKeyRule = (what: string) => (key: string) =>
  FORBIDDEN_OBJECT_KEYS.includes(key) ? `${what} must not be "${key}"` : undefined;

export { ALL_EVENTS };

const NAME_RE = /^[a-z0-9][a-z0-9-]*$/;
/** RFC 9110 §5.6.2 token. */
const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What undici (and RFC 9110 §5.5) accepts in a field value: no CR, LF, NUL or other controls. */
const FIELD_VALUE_RE = /^[\t\x20-\x7e\x80-\xff]*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find control characters
const CONTROL_RE = /[\x00-\x1f\x7f]/;

/** A superRefine that adds one issue with the rule's message when it returns one. */
const refuseWith =
  (rule: (value: string) => string | undefined) =>
  (value: string, ctx: z.RefinementCtx): void => {
    const message = rule(value);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message });
  };

const nameRule = `must be 1-${LIMITS.nameMaxChars} characters of a-z, 0-9 and -, starting with a letter or digit`;

/** A UbiOps-style name (webhooks, projects, UP42 workspaces). */
/**
 * The exfiltration guard's opt-out: a `url` on another origin that keeps stored protected header
 * values or the secret without re-sending them is refused unless this is true.
 */
export const keepSecretsSchema = z.boolean().optional().meta({
  description:
    'Extension: true allows moving url to another origin (scheme, host, port) while keeping the stored protected ' +
    'header values and secret without re-sending them; without it such a change is refused (400)',
});

export const nameSchema = z
  .string()
  .min(1, nameRule)
  .max(LIMITS.nameMaxChars, nameRule)
  .regex(NAME_RE, nameRule);

/** A non-empty string of at most `maxChars` characters without control characters. */
export const text = (maxChars: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(maxChars, `must be at most ${maxChars} characters`)
    .refine((v) => !CONTROL_RE.test(v), 'must not contain control characters');

const oneOf = (values: readonly string[]) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'required' : `must be one of ${values.join(', ')}`;
const objectTypeSchema = z.enum(OBJECT_TYPES, { error: oneOf(OBJECT_TYPES) });
/** One event of the catalog, by name. */
export const eventSchema = z.enum(ALL_EVENTS, { error: oneOf(ALL_EVENTS) });

/** A list of events, at least one; duplicates are accepted and dropped by the registry. */
const eventListSchema = z
  .array(eventSchema)
  .min(1, 'must have at least one event')
  .max(ALL_EVENTS.length * 4, `must have at most ${ALL_EVENTS.length * 4} entries`);

/**
 * A write-only webhook secret (Standard Webhooks, SPEC §11): 1-256 characters, `whsec_<base64>` or
 * any other string. null (or absent) means no secret on create, "keep it" on update.
 */
const secretRule = `must be ${SECRET_LIMITS.minChars}-${SECRET_LIMITS.maxChars} characters`;
export const secretSchema = z
  .string()
  .min(SECRET_LIMITS.minChars, secretRule)
  .max(SECRET_LIMITS.maxChars, secretRule)
  .superRefine((secret, ctx) => {
    if (secret.length < SECRET_LIMITS.minChars || secret.length > SECRET_LIMITS.maxChars) return;
    try {
      assertValidSecret(secret);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^secret: /, '') });
    }
  })
  .nullable()
  .meta({
    description:
      `Write-only, ${SECRET_LIMITS.minChars}-${SECRET_LIMITS.maxChars} characters: "whsec_<base64>" (the decoded bytes are the key) or any ` +
      'other string (its UTF-8 bytes). Signs deliveries with webhook-signature (Standard Webhooks). Responses show null. ' +
      'On update, null or absent keeps the stored secret; a new one replaces it and the old one keeps signing for 24 h.',
  });
const timeoutSchema = z
  .number()
  .int('must be an integer number of seconds')
  .min(LIMITS.timeoutMinSeconds, `must be from ${LIMITS.timeoutMinSeconds} to ${LIMITS.timeoutMaxSeconds}`)
  .max(LIMITS.timeoutMaxSeconds, `must be from ${LIMITS.timeoutMinSeconds} to ${LIMITS.timeoutMaxSeconds}`);

const labelsSchema = z
  .record(
    z
      .string()
      .min(1, 'label keys must not be empty')
      .max(LIMITS.labelKeyMaxChars, `label keys must be at most ${LIMITS.labelKeyMaxChars} characters`)
      .regex(/^[^:,]+$/, 'label keys must not contain ":" or ","')
      .refine((v) => !CONTROL_RE.test(v), 'label keys must not contain control characters')
      .superRefine(refuseWith(forbiddenKeyRule('label keys'))),
    z
      .string()
      .max(LIMITS.labelValueMaxChars, `must be at most ${LIMITS.labelValueMaxChars} characters`)
      .regex(/^[^,]*$/, 'must not contain ","')
      .refine((v) => !CONTROL_RE.test(v), 'must not contain control characters'),
  )
  .refine((v) => Object.keys(v).length <= LIMITS.labelsMaxPairs, `must have at most ${LIMITS.labelsMaxPairs} pairs`);

const headerKeySchema = z
  .string()
  .min(1, 'must not be empty')
  .max(LIMITS.headerKeyMaxChars, `must be at most ${LIMITS.headerKeyMaxChars} characters`)
  .regex(TOKEN_RE, 'must be a valid HTTP field name (RFC 9110 token)')
  .superRefine(
    refuseWith((k) =>
      RESERVED_HEADER_KEYS.includes(k.toLowerCase())
        ? `is set by hookpost and cannot be configured ("${k}")`
        : forbiddenKeyRule('header keys')(k.toLowerCase()),
    ),
  );

const headerValueSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(LIMITS.headerValueMaxChars, `must be at most ${LIMITS.headerValueMaxChars} characters`)
  .regex(FIELD_VALUE_RE, 'must not contain CR, LF, NUL or other control characters, nor characters above U+00FF');

const headerListRules = <T extends { key: string }>(headers: readonly T[], ctx: z.RefinementCtx) => {
  const seen = new Set<string>();
  headers.forEach((h, i) => {
    const lower = h.key.toLowerCase();
    if (seen.has(lower)) ctx.addIssue({ code: 'custom', path: [i, 'key'], message: 'duplicate header key' });
    seen.add(lower);
  });
};

const headersSchema = z
  .array(z.strictObject({ key: headerKeySchema, value: headerValueSchema, protected: z.boolean().default(false) }))
  .max(LIMITS.headersMaxEntries, `must have at most ${LIMITS.headersMaxEntries} entries`)
  .superRefine(headerListRules);

/**
 * On update, `value` null or absent with `protected: true` keeps the stored protected value:
 * generated clients drop null fields, so they send `{"key": "Authorization", "protected": true}`.
 */
const headersPatchSchema = z
  .array(
    z.strictObject({
      key: headerKeySchema,
      value: headerValueSchema
        .nullish()
        .meta({ description: 'null or absent with protected: true keeps the stored value of that protected header' }),
      protected: z.boolean().default(false),
    }),
  )
  .max(LIMITS.headersMaxEntries, `must have at most ${LIMITS.headersMaxEntries} entries`)
  .superRefine(headerListRules);

/** Reason why `raw` is not an acceptable webhook URL, or undefined when it is. */
export function checkWebhookUrl(raw: string, allowHttp: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an absolute http(s) URL';
  if (url.protocol === 'http:' && !allowHttp) return 'must use https (http is not allowed by this server)';
  if (url.hostname === '') return 'must name a host';
  // GET returns the URL: credentials in it would leak. Protected headers are the place for them.
  if (url.username !== '' || url.password !== '') return 'must not contain credentials; use a protected header';
  if (raw.includes('#')) return 'must not contain a fragment';
  return undefined;
}

/** A webhook URL (`checkWebhookUrl`). */
export const urlSchema = (allowHttp: boolean) =>
  z
    .string()
    .max(LIMITS.urlMaxChars, `must be at most ${LIMITS.urlMaxChars} characters`)
    .superRefine((raw, ctx) => {
      const reason = checkWebhookUrl(raw, allowHttp);
      if (reason !== undefined) ctx.addIssue({ code: 'custom', message: reason });
    })
    .meta({ format: 'uri' });

const descriptionSchema = z
  .string()
  .max(LIMITS.descriptionMaxChars, `must be at most ${LIMITS.descriptionMaxChars} characters`);

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

/** Builds the API's schemas; the URL rule depends on `allowHttp`. */
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
  });

  const webhookTestDetail = z.object({
    id: z.uuid(),
    status: z.enum(WEBHOOK_TEST_STATUSES),
    error_message: z.string().nullable().meta({ description: 'why the test failed; null otherwise' }),
  });

  /** One test of a webhook's subscribed event (`POST .../webhooks/{webhook_name}/tests`). */
  const webhookEventTest = webhookTestDetail.extend({ event: z.enum(ALL_EVENTS) });

  /** One event of the catalog (`GET /v2.1/webhooks/events`). */
  const catalogEvent = z.object({
    name: z.enum(ALL_EVENTS),
    object_type: z.enum(OBJECT_TYPES),
    description: z.string().meta({ description: 'one line' }),
  });

  const error = z.object({ error: z.string().meta({ description: '"<field>: <rule>" for invalid input' }) });

  const signingKey = z.object({ alg: z.literal('ed25519'), keyid: z.string(), public_key_pem: z.string() });

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
    catalogEvent,
    error,
    signingKey,
    listQuery,
  };
}

export type ApiSchemas = ReturnType<typeof createApiSchemas>;

const pathOf = (path: readonly PropertyKey[]): string => {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
};

/** Formats zod issues as `<field>: <rule>` joined by `; ` (the field `body` for the whole body). */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  const parts: string[] = [];
  for (const issue of issues) {
    const at = pathOf(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) parts.push(`${at === '' ? '' : `${at}.`}${key}: unknown field`);
    } else if (issue.code === 'invalid_key') {
      parts.push(`${at}: ${issue.issues[0]?.message ?? issue.message}`);
    } else {
      parts.push(`${at === '' ? 'body' : at}: ${issue.message}`);
    }
  }
  return parts.join('; ');
}

const describeType = (input: unknown): string =>
  input === null ? 'null' : Array.isArray(input) ? 'an array' : `a ${typeof input}`;

/** Messages for issues the schemas do not name themselves. */
const errorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return 'required';
    return `must be ${issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}, got ${describeType(issue.input)}`;
  }
  return undefined;
};

/** Parses `input` with `schema`, or throws HookpostError(VALIDATION) with a `<field>: <rule>` message. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input, { error: errorMap });
  if (!result.success) throw new HookpostError(ErrorCode.VALIDATION, formatIssues(result.error.issues));
  return result.data;
}

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
// Kept in their own block: routes/deliveries.ts validates with these, openapi.ts publishes them.

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
// Signing-key rotation (issue 12): the set of public keys served by GET /v2.1/signing-keys.

/** `GET /v2.1/signing-keys`: every public key hookpost may sign with, the signing one first. */
export const signingKeySetSchema = z.object({
  current_keyid: z.string().meta({ description: 'keyid of the key that signs deliveries now (keys[0])' }),
  keys: z
    .array(z.object({ alg: z.literal('ed25519'), keyid: z.string(), public_key_pem: z.string() }))
    .min(1)
    .meta({ description: 'the signing key first, then keys that may sign soon or did recently; trust them all' }),
});
