/**
 * The retry policy plugged into BullMQ: the processor decides (policy.ts) and throws a
 * RetryLaterError carrying the delay; BullMQ's backoff strategy reads it back. Jobs bound their
 * attempts by the schedule and name this strategy (retryJobOptions).
 */
import type { JobsOptions } from 'bullmq';

/** BullMQ backoff type whose delay the processor decides (see {@link decidedBackoff}). */
export const BACKOFF_TYPE = 'hookpost';

/** A failed attempt that is retried after `delayMs` (read by the backoff strategy). */
export class RetryLaterError extends Error {
  readonly delayMs: number;

  constructor(message: string, delayMs: number) {
    super(message);
    this.name = 'RetryLaterError';
    this.delayMs = delayMs;
  }
}

/** BullMQ backoff strategy: the delay the processor decided, or no retry (-1). */
export function decidedBackoff(_attemptsMade: number, _type?: string, err?: Error): number {
  return err instanceof RetryLaterError ? err.delayMs : -1;
}

/**
 * The retry part of a job's options. `attempts` only bounds BullMQ (the first attempt and one per
 * scheduled retry): the processor decides, per the webhook's `retry` and the schedule, whether a
 * failure is retried.
 */
export function retryJobOptions(retrySchedule: readonly number[]): Pick<JobsOptions, 'attempts' | 'backoff'> {
  return { attempts: retrySchedule.length + 1, backoff: { type: BACKOFF_TYPE } };
}
