/**
 * The webhook model as hookpost stores it: UbiOps `WebhookDetail` (UbiOps API reference, see docs/ubiops-api.md) scoped to one
 * object, or a project-wide webhook (the UP42 shape, docs/up42-api.md) that hears every deployment or
 * pipeline of its project. Both live in one registry and are matched by one rule.
 */
import type { StoredWebhookSecrets } from '../signing/index.js';

export type { StoredWebhookSecrets } from '../signing/index.js';

export const OBJECT_TYPES = ['deployment', 'pipeline'] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];

export const LIFECYCLE_STAGES = ['started', 'completed', 'failed', 'finished'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

/** `deployment_request_completed`, `pipeline_request_started`, ... */
export type WebhookEvent = `${ObjectType}_request_${LifecycleStage}`;

/** The four events a webhook on `objectType` can listen to. */
export function eventsOf(objectType: ObjectType): WebhookEvent[] {
  return LIFECYCLE_STAGES.map((stage) => `${objectType}_request_${stage}` as const);
}

/** Every event a webhook can subscribe to, deployments first. */
export const ALL_EVENTS: readonly WebhookEvent[] = Object.freeze(OBJECT_TYPES.flatMap(eventsOf));

/** The object type an event belongs to (`pipeline_request_failed` → `pipeline`). */
export function objectTypeOf(event: WebhookEvent): ObjectType {
  return event.startsWith('pipeline_') ? 'pipeline' : 'deployment';
}

/** True when `value` names an event of the catalog. */
export const isWebhookEvent = (value: unknown): value is WebhookEvent =>
  typeof value === 'string' && (ALL_EVENTS as readonly string[]).includes(value);

export interface WebhookHeader {
  readonly key: string;
  /** Always a string in the store; the API shows `null` for protected headers. */
  readonly value: string;
  readonly protected: boolean;
}

/** A webhook on one deployment or pipeline (every UbiOps webhook). */
export interface ObjectScope {
  readonly object_type: ObjectType;
  readonly object_name: string;
  /** null: the object's default version. */
  readonly version: string | null;
}

/** A webhook on every deployment and pipeline of its project, any version (every UP42 webhook). */
export interface ProjectScope {
  readonly object_type: null;
  readonly object_name: null;
  readonly version: null;
}

interface WebhookFields {
  readonly id: string;
  readonly project: string;
  readonly name: string;
  readonly url: string;
  readonly headers: readonly WebhookHeader[];
  readonly description: string;
  readonly labels: Readonly<Record<string, string>>;
  /**
   * What the webhook subscribes to, at least one, no duplicates, in the order given. A scoped
   * webhook's events are all of its `object_type`; a project-wide one may mix both types.
   */
  readonly events: readonly WebhookEvent[];
  /** `events[0]`, kept for code (and records) that know one event per webhook. */
  readonly event: WebhookEvent;
  /** Seconds, 1-30. */
  readonly timeout: number;
  /** UP42's `active`. */
  readonly enabled: boolean;
  readonly retry: boolean;
  readonly include_result: boolean;
  /**
   * The Standard Webhooks secret (docs/signing.md, Standard Webhooks), write-only: never returned, logged or put in job data.
   * After a change `previous` keeps signing for 24 h from `rotatedAt`. null: no secret.
   */
  readonly secret: StoredWebhookSecrets | null;
  /** ISO-8601 UTC (`toISOString`), set on create and kept through renames; the API's `creation_date`. */
  readonly created_at: string;
  /** ISO-8601 UTC, later than the previous value on every change; the API's `last_updated`. */
  readonly updated_at: string;
  /**
   * In memory only, never stored: set when this process cannot decrypt the record's protected header
   * values or secret (e.g. written with an encryption key its key file lacks), with the reason (no
   * secret in it). Such a record reads with those values empty and `secret` null: it is listed and
   * can be deleted, but it is never sent or updated (see store.ts).
   */
  readonly secretsUnreadable?: string;
}

/** A stored webhook, secrets included: never returned, logged or put in job data as is. */
export type Webhook = WebhookFields & (ObjectScope | ProjectScope);

/** True for a webhook without object scope (it hears every object of its project). */
export const isProjectWide = (w: Pick<Webhook, 'object_name'>): w is Webhook & ProjectScope => w.object_name === null;

/** One entry of the event catalog (`GET /webhooks/events`). */
export interface CatalogEvent {
  readonly name: WebhookEvent;
  readonly object_type: ObjectType;
  /** One line. */
  readonly description: string;
}

const STAGE_DESCRIPTIONS: Record<LifecycleStage, string> = {
  started: 'started processing (status processing)',
  completed: 'completed (status completed)',
  failed: 'failed (status failed)',
  finished: 'finished, completed or failed (fires together with completed or failed)',
};

/** Every event a webhook can subscribe to, with its object type and a one-line description. */
export const EVENT_CATALOG: readonly CatalogEvent[] = Object.freeze(
  OBJECT_TYPES.flatMap((objectType) =>
    LIFECYCLE_STAGES.map(
      (stage): CatalogEvent =>
        Object.freeze({
          name: `${objectType}_request_${stage}` as const,
          object_type: objectType,
          description: `A request to a ${objectType} ${STAGE_DESCRIPTIONS[stage]}.`,
        }),
    ),
  ),
);
