/**
 * What happens after an attempt, decided in one place for the fast path and the deliveries queue:
 * done, retried after a delay (retry: true webhooks, on the schedule), or final (dead letter).
 */
import type { AttemptOutcome } from '../delivery/index.js';
import { nextRetryDelayMs } from '../retry/index.js';

export type Settlement =
  | { readonly action: 'delivered' }
  | { readonly action: 'retry'; readonly delayMs: number }
  | { readonly action: 'dead'; readonly outcome: 'failed' | 'refused' };

/**
 * @param failedAttempts failed attempts so far, this one included (>= 1 when the outcome failed)
 */
export function settle(
  outcome: AttemptOutcome,
  retry: boolean,
  failedAttempts: number,
  scheduleMs: readonly number[],
): Settlement {
  if (outcome.kind === 'delivered') return { action: 'delivered' };
  // A refused destination is a configuration problem: retrying cannot help.
  if (outcome.kind === 'refused') return { action: 'dead', outcome: 'refused' };
  // The request itself could not be sent (a header value undici refuses): the same again would fail.
  if (!retry || outcome.errorCode === 'INVALID_REQUEST') return { action: 'dead', outcome: 'failed' };
  const delayMs = nextRetryDelayMs({ failedAttempts, scheduleMs, retryAfterMs: outcome.retryAfterMs });
  return delayMs === null ? { action: 'dead', outcome: 'failed' } : { action: 'retry', delayMs };
}
