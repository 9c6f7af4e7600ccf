/** What the API shows of stored records: UbiOps `WebhookDetail`, protected values and secrets as null. */
import { ErrorCode, HookpostError } from '../../../errors.js';
import { type ObjectScope, type Webhook, isProjectWide } from '../../../registry/model.js';
import { LIMITS, isWebhookName, nameSchema } from '../../primitives.js';

export interface WebhookDetailView {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly headers: readonly { key: string; value: string | null; protected: boolean }[];
  readonly object_type: ObjectScope['object_type'];
  readonly object_name: string;
  readonly version: string | null;
  readonly description: string;
  readonly labels: Readonly<Record<string, string>>;
  /** `events[0]`. */
  readonly event: Webhook['event'];
  /** Extension: every subscribed event. */
  readonly events: Webhook['events'];
  readonly timeout: number;
  readonly enabled: boolean;
  readonly retry: boolean;
  readonly include_result: boolean;
  /** Extension, write-only: always null, set or not (the key is always there). */
  readonly secret: null;
  /** ISO-8601 UTC. */
  readonly creation_date: string;
  /** ISO-8601 UTC. */
  readonly last_updated: string;
  /** Extension: present (true) only when this process cannot decrypt the stored secrets. */
  readonly secrets_unreadable?: true;
}

/**
 * At most `LIMITS.descriptionMaxChars` UTF-16 units, never splitting a surrogate pair. Webhooks
 * stored while the limit was 1024 would otherwise make UbiOps's client refuse the whole response.
 */
function clipDescription(description: string): string {
  const max = LIMITS.descriptionMaxChars;
  if (description.length <= max) return description;
  const last = description.charCodeAt(max - 1);
  return description.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

/** True for the webhooks the UbiOps surface shows: those on one object (project-wide ones are UP42's). */
export const isObjectWebhook = (w: Webhook): w is Webhook & ObjectScope => !isProjectWide(w);

/** The public view of a webhook on an object; a protected header's value and the secret read null. */
export function toWebhookDetail(w: Webhook & ObjectScope): WebhookDetailView {
  return {
    id: w.id,
    name: w.name,
    url: w.url,
    headers: w.headers.map((h) => ({ key: h.key, value: h.protected ? null : h.value, protected: h.protected })),
    object_type: w.object_type,
    object_name: w.object_name,
    version: w.version,
    description: clipDescription(w.description),
    labels: w.labels,
    event: w.event,
    events: w.events,
    timeout: w.timeout,
    enabled: w.enabled,
    retry: w.retry,
    include_result: w.include_result,
    secret: null,
    creation_date: w.created_at,
    last_updated: w.updated_at,
    ...(w.secretsUnreadable === undefined ? {} : { secrets_unreadable: true as const }),
  };
}

/** The `project_name` path parameter, or a 400 naming the rule. */
export function projectParam(params: { project_name: string }): string {
  const result = nameSchema.safeParse(params.project_name);
  if (!result.success) {
    throw new HookpostError(ErrorCode.VALIDATION, `project_name: ${result.error.issues[0]?.message ?? 'invalid'}`);
  }
  return result.data;
}

export const webhookNotFound = (name: string) =>
  new HookpostError(ErrorCode.NOT_FOUND, `webhook "${isWebhookName(name) ? name : '?'}" not found`);
