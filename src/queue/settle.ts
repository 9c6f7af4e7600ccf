/**
 * What happens after an attempt, decided in one place for the fast path and the deliveries queue:
 * delivered, retried after a delay (retry: true webhooks, on the schedule), or final (dead letter).
 * A settlement is the delivery's outcome (src/outcomes.ts), the one the attempt log and the metric record.
 */
import type { AttemptLogWriter } from '../attempts/index.js';
import type { DeadLetter, DeadLetterStore } from '../dead-letters/index.js';
import type { AttemptOutcome } from '../delivery/index.js';
import type { Metrics } from '../observability/metrics.js';
import { attemptCodeInfo } from '../outcomes.js';
import { nextRetryDelayMs } from '../retry/index.js';

export type Settlement =
  | { readonly outcome: 'success' }
  | { readonly outcome: 'retrying'; readonly delayMs: number }
  | { readonly outcome: 'failed' | 'refused' };

/**
 * @param failedAttempts failed attempts so far, this one included (>= 1 when the outcome failed)
 */
export function settle(
  outcome: AttemptOutcome,
  retry: boolean,
  failedAttempts: number,
  scheduleMs: readonly number[],
): Settlement {
  if (outcome.kind === 'delivered') return { outcome: 'success' };
  // Final codes: a refused destination is a configuration problem, and a request the HTTP client
  // refuses (a header value) would fail the same again: retrying cannot help.
  if (attemptCodeInfo(outcome.errorCode).final) return { outcome: outcome.kind === 'refused' ? 'refused' : 'failed' };
  if (!retry) return { outcome: 'failed' };
  const delayMs = nextRetryDelayMs({ failedAttempts, scheduleMs, retryAfterMs: outcome.retryAfterMs });
  return delayMs === null ? { outcome: 'failed' } : { outcome: 'retrying', delayMs };
}

/** The delivery a settlement is about (`attempts`: this one included). */
export type SettledDelivery = Pick<DeadLetter, 'deliveryId' | 'project' | 'webhookId' | 'webhookEvent' | 'event' | 'attempts'> & {
  readonly outcome: AttemptOutcome;
  /** The webhook's name now, for the attempt log. */
  readonly webhookName?: string;
};

/**
 * Settles an attempt's outcome and does its bookkeeping: the deliveries metric, the retries metric,
 * the attempt log's record (buffered), and the dead letter of a final failure (written before the
 * caller's job completes). Scheduling
 * the retry is the caller's: the fast path adds a job, the deliveries queue lets BullMQ retry.
 */
export async function settleAndRecord(
  deps: { readonly metrics: Metrics; readonly deadLetters: DeadLetterStore; readonly attempts: AttemptLogWriter },
  delivery: SettledDelivery,
  retry: boolean,
  scheduleMs: readonly number[],
): Promise<Settlement> {
  const { metrics } = deps;
  const { webhookEvent: event, outcome } = delivery;
  const next = settle(outcome, retry, delivery.attempts, scheduleMs);
  const now = Date.now();
  deps.attempts.record(
    {
      deliveryId: delivery.deliveryId,
      project: delivery.project,
      webhookId: delivery.webhookId,
      webhookName: delivery.webhookName,
      event,
      requestId: delivery.event.request_id,
      attempt: delivery.attempts,
      startedAt: now - Math.round(outcome.durationMs),
      durationMs: outcome.durationMs,
      outcome: next.outcome,
      httpStatus: outcome.status,
      errorCode: next.outcome === 'success' ? undefined : outcome.errorCode,
      errorMessage: next.outcome === 'success' ? undefined : outcome.message,
      responseExcerpt: outcome.responseExcerpt,
      nextAttemptAt: next.outcome === 'retrying' ? now + Math.round(next.delayMs) : undefined,
    },
    delivery.event,
  );
  metrics.deliveries.inc({ event, outcome: next.outcome });
  if (next.outcome === 'retrying') {
    metrics.retriesScheduled.inc({ event });
  } else if (next.outcome !== 'success') {
    await deps.deadLetters.add({
      deliveryId: delivery.deliveryId,
      project: delivery.project,
      webhookId: delivery.webhookId,
      webhookEvent: event,
      event: delivery.event,
      attempts: delivery.attempts,
      errorCode: outcome.errorCode,
      errorMessage: outcome.message,
      failedAt: new Date().toISOString(),
    });
  }
  return next;
}
