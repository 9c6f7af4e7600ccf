/**
 * The matching rule of docs/publishing.md (and §10 for project-wide webhooks), as a pure function over the
 * candidate webhooks of one object and its project.
 */
import { type Webhook, type WebhookEvent, isProjectWide } from '../registry/model.js';

/** What matching needs to know of an event. */
export interface MatchableEvent {
  readonly version: string;
  readonly is_default_version?: boolean | undefined;
}

/** One delivery to make: a webhook and one fired event it subscribes to. */
export interface Match {
  readonly webhook: Webhook;
  /** The fired event the webhook listens to. */
  readonly event: WebhookEvent;
}

/**
 * The deliveries an event firing `fired` makes among `candidates` (webhooks of its object or of its
 * project): one per enabled webhook and fired event it subscribes to, in the order of `fired` (a
 * webhook on both `_completed` and `_finished` gets two). A webhook on an object must also be on
 * the event's version, or on the default version (`version: null`) when the event ran on it; a
 * project-wide webhook hears every version.
 */
export function selectMatches(
  candidates: readonly Webhook[],
  event: MatchableEvent,
  fired: readonly WebhookEvent[],
): Match[] {
  const matches: Match[] = [];
  for (const webhook of candidates) {
    if (!webhook.enabled) continue;
    if (!isProjectWide(webhook)) {
      const onVersion =
        webhook.version === null ? event.is_default_version === true : webhook.version === event.version;
      if (!onVersion) continue;
    }
    for (const f of fired) if (webhook.events.includes(f)) matches.push({ webhook, event: f });
  }
  return matches;
}
