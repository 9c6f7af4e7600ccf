/**
 * The UP42-style surface's shared contract (the routes UP42's SDK calls): the
 * `{"data": …, "error": …}` envelope, the webhook view (camelCase timestamps, `active`, write-only
 * `secret`), the request schemas and the workspace parameter. A workspace is a project.
 */
import { z } from 'zod';
import { ErrorCode, HookpostError } from '../../../errors.js';
import { ALL_EVENTS, OBJECT_TYPES, type Webhook, type WebhookEvent, isProjectWide } from '../../../registry/model.js';
import { WEBHOOK_TEST_STATUSES } from '../../../registry/webhook-tests.js';
import { type JsonSchema, toJsonSchema } from '../../openapi.js';
import {
  LIMITS,
  UNREADABLE_DESCRIPTION,
  eventSchema,
  keepSecretsSchema,
  nameSchema,
  secretSchema,
  text,
  urlSchema,
} from '../../primitives.js';

/** Every answer of the UP42 surface. */
export type Up42Envelope<T> =
  | { readonly data: T; readonly error: null }
  | { readonly data: null; readonly error: { readonly code: number; readonly message: string } };

export const up42Data = <T>(data: T): Up42Envelope<T> => ({ data, error: null });

/** An error answer: `code` is the HTTP status, `message` names the field and the rule. */
export const up42Error = (code: number, message: string): Up42Envelope<never> => ({ data: null, error: { code, message } });

/** The object a webhook created on the UbiOps surface is on; null for a project-wide webhook. */
export interface Up42Scope {
  readonly object_type: string;
  readonly object_name: string;
  readonly version: string | null;
}

/** A webhook as the UP42 surface shows it. */
export interface Up42WebhookView {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  readonly url: string;
  readonly events: readonly WebhookEvent[];
  readonly active: boolean;
  /** Write-only: always null, set or not; the key is always there (the SDK copies it into its PUT). */
  readonly secret: null;
  /** ISO-8601 UTC. */
  readonly createdAt: string;
  /** ISO-8601 UTC. */
  readonly updatedAt: string;
  /** Extension: null (every deployment and pipeline of the workspace), or the object of a webhook made on the UbiOps surface. */
  readonly scope: Up42Scope | null;
  /** Extension: present (true) only when this process cannot decrypt the stored secrets. */
  readonly secretsUnreadable?: true;
}

export function toUp42Webhook(w: Webhook): Up42WebhookView {
  return {
    id: w.id,
    workspaceId: w.project,
    name: w.name,
    url: w.url,
    events: w.events,
    active: w.enabled,
    secret: null,
    createdAt: w.created_at,
    updatedAt: w.updated_at,
    scope: isProjectWide(w) ? null : { object_type: w.object_type, object_name: w.object_name, version: w.version },
    ...(w.secretsUnreadable === undefined ? {} : { secretsUnreadable: true as const }),
  };
}

/** One test sent by `POST .../webhooks/{id}/tests`; its status is at `GET /v2.1/projects/{workspace}/webhooks-tests/{id}`. */
export interface Up42EventTestView {
  readonly id: string;
  readonly event: WebhookEvent;
  readonly status: 'pending' | 'completed' | 'failed';
  readonly errorMessage: string | null;
}

/** The `workspace_id` path parameter (the project-name rule), or a 400 naming it. */
export function workspaceParam(params: { workspace_id: string }): string {
  const result = nameSchema.safeParse(params.workspace_id);
  if (!result.success) {
    throw new HookpostError(ErrorCode.VALIDATION, `workspace_id: ${result.error.issues[0]?.message ?? 'invalid'}`);
  }
  return result.data;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The `id` path parameter when it can be a webhook id, else a 404 (any other id is simply not found). */
export function webhookIdParam(params: { id: string }): string {
  if (!UUID_RE.test(params.id)) throw up42WebhookNotFound();
  return params.id;
}

export const up42WebhookNotFound = () => new HookpostError(ErrorCode.NOT_FOUND, 'webhook not found');

/** An event by name, or a catalog entry passed back as it came (`{"name": ..., ...}`). */
const eventItemSchema = z.preprocess(
  (value) =>
    typeof value === 'object' && value !== null && !Array.isArray(value) && 'name' in value
      ? (value as { name: unknown }).name
      : value,
  eventSchema,
);

const eventsSchema = z
  .array(eventItemSchema)
  .min(1, 'must have at least one event')
  .max(ALL_EVENTS.length * 4, `must have at most ${ALL_EVENTS.length * 4} entries`);

/** C1 control characters (U+0080-U+009F): invisible, and some terminals act on them. */
const C1_CONTROL_RE = /[\u0080-\u009f]/;
/**
 * Bidirectional formatting characters: the embeddings and overrides (U+202A-U+202E), the isolates
 * (U+2066-U+2069) and the marks (U+200E, U+200F, U+061C). They reorder how a name is displayed, so
 * a name could read as another one in a list, a log or a terminal.
 */
const BIDI_CONTROL_RE = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;

/**
 * Webhook names on this surface: free text (1-64 characters), without control characters (C0 and
 * C1), bidirectional formatting characters, or lone surrogates.
 */
const up42NameSchema = text(LIMITS.nameMaxChars)
  .refine((v) => !C1_CONTROL_RE.test(v), 'must not contain control characters (U+0080-U+009F)')
  .refine((v) => !BIDI_CONTROL_RE.test(v), 'must not contain bidirectional formatting characters (such as U+202E)');

export interface Up42SchemaOptions {
  /** Accept `http://` webhook URLs (HOOKPOST_ALLOW_HTTP). */
  readonly allowHttp: boolean;
}

export function createUp42Schemas({ allowHttp }: Up42SchemaOptions) {
  const url = urlSchema(allowHttp);

  /** `create_webhook(name, url, events, active=False, secret=None)`. */
  const webhookCreate = z.strictObject({
    name: up42NameSchema,
    url,
    events: eventsSchema,
    active: z.boolean().default(false),
    secret: secretSchema.optional(),
  });

  /** `update(...)`: every field, the unchanged ones copied from `info`; `secret: null` keeps the secret. */
  const webhookUpdate = z.strictObject({
    name: up42NameSchema,
    url,
    events: eventsSchema,
    active: z.boolean(),
    secret: secretSchema.optional(),
    keep_secrets: keepSecretsSchema,
  });

  const iso = z.iso.datetime();
  const webhook = z.object({
    id: z.uuid(),
    workspaceId: z.string(),
    name: z.string().min(1).max(LIMITS.nameMaxChars),
    url: z.string(),
    events: z.array(z.enum(ALL_EVENTS)).min(1),
    active: z.boolean(),
    secret: z.null().meta({ description: 'write-only: always null, whether a secret is set or not' }),
    createdAt: iso,
    updatedAt: iso,
    scope: z
      .object({ object_type: z.enum(OBJECT_TYPES), object_name: z.string(), version: z.string().nullable() })
      .nullable()
      .meta({ description: 'null: every deployment and pipeline of the workspace, any version' }),
    secretsUnreadable: z.literal(true).optional().meta({ description: UNREADABLE_DESCRIPTION }),
  });

  const eventTest = z.object({
    id: z.uuid(),
    event: z.enum(ALL_EVENTS),
    status: z.enum(WEBHOOK_TEST_STATUSES),
    errorMessage: z.string().nullable(),
  });

  const error = z.object({
    data: z.null(),
    error: z.object({
      code: z.number().int().meta({ description: 'the HTTP status' }),
      message: z.string().meta({ description: '"<field>: <rule>" for invalid input' }),
    }),
  });

  return { webhookCreate, webhookUpdate, webhook, eventTest, error };
}

export type Up42Schemas = ReturnType<typeof createUp42Schemas>;

/** `{"data": <schema>, "error": null}` as JSON Schema. */
export const envelopeOf = (data: JsonSchema): JsonSchema => ({
  type: 'object',
  properties: { data, error: { type: 'null' } },
  required: ['data', 'error'],
});

/** The request schema of `schema` with `events` items documented as names or catalog entries. */
export function up42RequestSchema(schema: z.ZodType): JsonSchema {
  const json = toJsonSchema(schema) as { properties: Record<string, JsonSchema> };
  const events = json.properties.events as JsonSchema & { items: JsonSchema };
  json.properties.events = {
    ...events,
    description: 'event names, or catalog entries (objects with a name) as GET /webhooks/events lists them',
    items: { anyOf: [events.items, { type: 'object', properties: { name: events.items }, required: ['name'] }] },
  };
  return json as JsonSchema;
}
