/**
 * The retry policy, in one place: after an attempt, {@link settle} decides whether the delivery is
 * done, tried again after a delay (retry: true webhooks, on the schedule, honouring Retry-After),
 * or given up; {@link nextRetryDelayMs} is the schedule with its jitter. Pure functions (the clock
 * and randomness are parameters). The queue processors plug the decision into BullMQ (bullmq.ts).
 */
import { type AttemptCode, type AttemptKind, attemptCodeInfo } from '../outcomes.js';

/** Jitter spreads retries of a burst of failures over ±20 % of the scheduled delay. */
const JITTER_MIN = 0.8;
const JITTER_SPAN = 0.4;

/**
 * The one jitter rule of hookpost: `ms` times a factor in [0.8, 1.2), rounded. Used for retries and
 * for re-checking parked deliveries, so a burst of them does not come back at the same instant.
 */
export function jitter(ms: number, random: () => number = Math.random): number {
  return Math.round(ms * (JITTER_MIN + JITTER_SPAN * random()));
}

export interface NextRetryDelayInput {
  /** Attempts made so far (>= 1). */
  readonly failedAttempts: number;
  /** Delays between attempts in milliseconds; its length is the number of retries. */
  readonly scheduleMs: readonly number[];
  /** The receiver's `Retry-After` (429/503), in milliseconds from now. */
  readonly retryAfterMs?: number;
  /** Source of randomness in [0, 1). Default Math.random. */
  readonly random?: () => number;
}

/**
 * Milliseconds to wait before the next attempt, or null when the schedule is exhausted
 * (`failedAttempts > scheduleMs.length`). The delay is `scheduleMs[failedAttempts - 1]` times a
 * jitter factor in [0.8, 1.2). A `Retry-After` is honoured within the schedule's bounds: the delay is
 * never shorter than the jittered one nor than asked, except that it never exceeds twice the
 * scheduled delay (a receiver cannot park a delivery for days).
 */
export function nextRetryDelayMs(input: NextRetryDelayInput): number | null {
  const { failedAttempts, scheduleMs } = input;
  if (!Number.isInteger(failedAttempts) || failedAttempts < 1) {
    throw new RangeError(`failedAttempts must be an integer >= 1, got ${failedAttempts}`);
  }
  const scheduled = scheduleMs[failedAttempts - 1];
  if (scheduled === undefined) return null;
  const jittered = jitter(scheduled, input.random);
  const asked = input.retryAfterMs;
  return asked === undefined ? jittered : Math.round(Math.max(jittered, Math.min(asked, 2 * scheduled)));
}

/**
 * Parses a `Retry-After` header value (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
 * Returns milliseconds from `nowMs` (0 for a date in the past), or undefined when unparseable.
 */
export function parseRetryAfter(value: string, nowMs: number): number | undefined {
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds) ? seconds * 1_000 : undefined;
  }
  // HTTP-date always names a weekday; rejecting anything else keeps Date.parse's laxness out.
  if (!/^[A-Za-z]{3},? /.test(text)) return undefined;
  const atMs = Date.parse(text);
  if (Number.isNaN(atMs)) return undefined;
  return Math.max(0, atMs - nowMs);
}

/** What one attempt told the policy (a delivery client's outcome has these fields). */
export interface SettledAttempt {
  readonly kind: AttemptKind;
  readonly errorCode: AttemptCode;
  /** The receiver's `Retry-After` (429/503), in milliseconds from now. */
  readonly retryAfterMs?: number;
}

/** What follows an attempt: the delivery's outcome (src/outcomes.ts), with the delay of a retry. */
export type Settlement =
  | { readonly outcome: 'success' }
  | { readonly outcome: 'retrying'; readonly delayMs: number }
  | { readonly outcome: 'failed' | 'refused' };

/**
 * Decides what follows an attempt. Final codes are never retried (a refused destination is a
 * configuration problem; a request the HTTP client refuses would fail the same again); a failure is
 * retried only when the webhook says `retry: true`, on the schedule.
 *
 * @param failedAttempts failed attempts so far, this one included (>= 1 when the outcome failed)
 */
export function settle(
  attempt: SettledAttempt,
  retry: boolean,
  failedAttempts: number,
  scheduleMs: readonly number[],
  random?: () => number,
): Settlement {
  if (attempt.kind === 'delivered') return { outcome: 'success' };
  if (attemptCodeInfo(attempt.errorCode).final) return { outcome: attempt.kind === 'refused' ? 'refused' : 'failed' };
  if (!retry) return { outcome: 'failed' };
  const delayMs = nextRetryDelayMs({ failedAttempts, scheduleMs, retryAfterMs: attempt.retryAfterMs, random });
  return delayMs === null ? { outcome: 'failed' } : { outcome: 'retrying', delayMs };
}
