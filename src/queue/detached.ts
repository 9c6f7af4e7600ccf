/**
 * Settling a detached attempt (see delivery/pipeline.ts): its job slot was freed while the attempt
 * waited, and a durable *placeholder* job on the deliveries queue stands in for it — a delayed job
 * under the delivery id that fires only after the attempt's deadline. If this process dies while the
 * attempt waits, the placeholder sends the delivery again (at-least-once, same delivery id). When the
 * attempt settles here, the placeholder becomes the outcome: removed when the delivery is done
 * (delivered or dead-lettered), or turned into the retry (one more failed attempt, new delay).
 */
import type { Job, Queue } from 'bullmq';
import { ABANDONED, type AttemptOutcome } from '../delivery/index.js';
import type { Logger } from '../observability/logger.js';
import type { DeliveriesJobData } from './jobs.js';
import type { Settlement } from '../retry/index.js';

/** Margin between a detached attempt's deadline and its placeholder firing, in milliseconds. */
export const PLACEHOLDER_GRACE_MS = 5_000;

export interface DetachedAttempt {
  /** The placeholder's job id (the deliveries job id). */
  readonly jobId: string;
  /** Resolves once the placeholder is durable; rejects if it could not be written. */
  readonly placeholder: Promise<unknown>;
  readonly settled: Promise<AttemptOutcome>;
  /** Settles the outcome (metrics, dead letter, test record) and says what follows. */
  decide(outcome: AttemptOutcome): Promise<Settlement>;
}

/** Turns the placeholder into the attempt's outcome once it settles. Never rejects (logs instead). */
export async function concludeDetached(
  deps: { readonly deliveries: Queue<DeliveriesJobData>; readonly logger: Logger },
  attempt: DetachedAttempt,
): Promise<void> {
  const outcome = await attempt.settled;
  // Cut short by our own shutdown: not the receiver's failure; the placeholder sends it again.
  if (outcome.errorCode === ABANDONED) return;
  try {
    await attempt.placeholder;
  } catch {
    // Not durable: the job that detached it failed and runs again, and so does this delivery.
    return;
  }
  try {
    const decision = await attempt.decide(outcome);
    const job: Job<unknown> | undefined = await deps.deliveries.getJob(attempt.jobId);
    if (!job) return;
    if (decision.outcome !== 'retrying') {
      await job.remove();
      return;
    }
    const data = job.data as DeliveriesJobData;
    await job.updateData({ ...data, priorFailures: (data.priorFailures ?? 0) + 1 });
    await job.changeDelay(Math.max(0, Math.round(decision.delayMs)));
  } catch (err) {
    deps.logger.error({ err, jobId: attempt.jobId }, 'detached delivery not settled; its placeholder will send it again');
  }
}
