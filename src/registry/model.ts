/**
 * The webhook model (UbiOps `WebhookDetail`, seeds/000_*) as hookpost stores it.
 */
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

export interface WebhookHeader {
  readonly key: string;
  /** Always a string in the store; the API shows `null` for protected headers. */
  readonly value: string;
  readonly protected: boolean;
}

/** A stored webhook, secrets included: never returned, logged or put in job data as is. */
export interface Webhook {
  readonly id: string;
  readonly project: string;
  readonly name: string;
  readonly url: string;
  readonly headers: readonly WebhookHeader[];
  readonly object_type: ObjectType;
  readonly object_name: string;
  /** null: the object's default version. */
  readonly version: string | null;
  readonly description: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly event: WebhookEvent;
  /** Seconds, 1-30. */
  readonly timeout: number;
  readonly enabled: boolean;
  readonly retry: boolean;
  readonly include_result: boolean;
  /** ISO-8601 UTC (`toISOString`), set on create and kept through renames; the API's `creation_date`. */
  readonly created_at: string;
  /** ISO-8601 UTC, later than the previous value on every change; the API's `last_updated`. */
  readonly updated_at: string;
}
