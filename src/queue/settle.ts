/**
 * Settling an attempt, for the fast path and the deliveries queue alike: the retry policy decides
 * (retry/policy.ts `settle`), and this records it: the metrics, the attempt log, the dead letter.
 */
import type { AttemptLogWriter } from '../attempts/index.js';
import type { DeadLetter, DeadLetterStore } from '../dead-letters/index.js';
import type { AttemptOutcome } from '../delivery/index.js';
import type { Metrics } from '../observability/metrics.js';
import { type Settlement, settle } from '../retry/index.js';

/** The delivery a settlement is about (`attempts`: this one included). */
export type SettledDelivery = Pick<DeadLetter, 'deliveryId' | 'project' | 'webhookId' | 'webhookEvent' | 'event' | 'attempts'> & {
  readonly outcome: AttemptOutcome;
  /** The webhook's name now, for the attempt log. */
  readonly webhookName?: string;
};

/**
 * Settles an attempt's outcome and does its bookkeeping: the deliveries metric, the retries metric,
 * the attempt log's record (buffered), and the dead letter of a final failure (written before the
 * caller's job completes). Scheduling the retry is the caller's: the fast path adds a job, the deliveries queue lets BullMQ retry.
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
