/**
 * The matching rule of SPEC §2, as a pure function over an object's candidate webhooks.
 */
import type { Webhook, WebhookEvent } from '../registry/model.js';

/** What matching needs to know of an event. */
export interface MatchableEvent {
  readonly version: string;
  readonly is_default_version?: boolean | undefined;
}

export interface Match {
  readonly webhook: Webhook;
  /** The fired event the webhook listens to. */
  readonly event: WebhookEvent;
}

/**
 * Webhooks among `candidates` (all of one project/object) that an event firing `fired` reaches:
 * enabled, listening to one of the fired events, and either on the event's version or on the
 * default version (`version: null`) when the event ran on the default version.
 */
export function selectMatches(
  candidates: readonly Webhook[],
  event: MatchableEvent,
  fired: readonly WebhookEvent[],
): Match[] {
  const matches: Match[] = [];
  for (const webhook of candidates) {
    if (!webhook.enabled || !fired.includes(webhook.event)) continue;
    const onVersion = webhook.version === null ? event.is_default_version === true : webhook.version === event.version;
    if (onVersion) matches.push({ webhook, event: webhook.event });
  }
  return matches;
}
