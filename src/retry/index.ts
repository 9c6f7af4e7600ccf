/** The retry policy: what follows an attempt, the schedule with its jitter, and its BullMQ plumbing. */
export {
  jitter,
  nextRetryDelayMs,
  parseRetryAfter,
  settle,
  type NextRetryDelayInput,
  type SettledAttempt,
  type Settlement,
} from './policy.js';
export { BACKOFF_TYPE, decidedBackoff, RetryLaterError, retryJobOptions } from './bullmq.js';
