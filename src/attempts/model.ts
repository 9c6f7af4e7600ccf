/**
 * The attempt log's vocabulary: one record per delivery attempt, as the worker settled it. The log
 * is observability, not the source of truth (that is the queues and the dead letters): records are
 * written in batches and a crash may lose the last few milliseconds of them.
 */
import type { RequestEvent } from '../events/index.js';
import type { AttemptCode, DeliveryOutcome } from '../outcomes.js';
import type { WebhookEvent } from '../registry/model.js';

/** Longest response excerpt kept, in bytes of the receiver's body (1 KiB). */
export const MAX_EXCERPT_BYTES = 1_024;

/** One attempt of one delivery. Never holds request headers or the payload. */
export interface AttemptRecord {
  readonly deliveryId: string;
  readonly project: string;
  readonly webhookId: string;
  /** The webhook's name when the attempt ran (names can change; the id does not). */
  readonly webhookName?: string;
  readonly event: WebhookEvent;
  readonly requestId: string;
  /**
   * The attempt's number within its run, as the worker counted it: 1 for the first attempt, and a
   * re-delivery starts at 1 again. The log numbers a delivery's attempts across runs: see
   * {@link LoggedAttempt.sequence}.
   */
  readonly attempt: number;
  /** When the attempt started, ms since the epoch. */
  readonly startedAt: number;
  readonly durationMs: number;
  /** As settled (src/outcomes.ts `DELIVERY_OUTCOMES`). */
  readonly outcome: DeliveryOutcome;
  /** HTTP status, when the receiver answered. */
  readonly httpStatus?: number;
  /** Stable code (`HTTP_500`, `TIMEOUT`, `CIRCUIT_OPEN`, `WEBHOOK_DELETED`, ...: src/outcomes.ts); absent on success. */
  readonly errorCode?: AttemptCode;
  /** For people: "Timed out after 10 s", "Received HTTP 500", ... */
  readonly errorMessage?: string;
  /** The first {@link MAX_EXCERPT_BYTES} of the response body, when it was text. */
  readonly responseExcerpt?: string;
  /** When the next attempt is due (ms since the epoch), for `retrying`. */
  readonly nextAttemptAt?: number;
}

/** A delivery as listed: its latest attempt and how many attempts it has. */
export interface DeliverySummary {
  readonly latest: AttemptRecord;
  /** Attempts recorded (re-deliveries included). */
  readonly attemptCount: number;
  /** Last activity (ms since the epoch): the list's order and cursor. */
  readonly activityAt: number;
}

/** An attempt as the log holds it, numbered across the delivery's runs (re-deliveries included). */
export interface LoggedAttempt extends AttemptRecord {
  /** 1, 2, 3, ... in the order the log received the delivery's attempts; a re-delivery goes on counting. */
  readonly sequence: number;
}

export interface DeliveryDetail extends DeliverySummary {
  /** Oldest first; at most the last {@link MAX_ATTEMPTS_PER_DELIVERY}. */
  readonly attempts: readonly LoggedAttempt[];
  /** True when the producer event is kept (a re-delivery is possible). */
  readonly eventKept: boolean;
}

/** Attempts kept per delivery (a retry schedule has at most 26; re-deliveries add more). */
export const MAX_ATTEMPTS_PER_DELIVERY = 50;

/**
 * How a webhook's circuit looks from the API process. The real circuit lives in each worker's
 * memory (delivery/destination-gate.ts), so this is derived from the recent attempts: `open` when
 * the latest attempt was not sent because a circuit was open, `failing` when the last
 * {@link FAILING_AFTER} attempts failed, `closed` otherwise, `unknown` without attempts.
 */
export type DerivedCircuitState = 'closed' | 'failing' | 'open' | 'unknown';
export const FAILING_AFTER = 3;

/** Outcomes of the recent attempts of a webhook, newest first, kept for its health. */
export const RECENT_OUTCOMES = 100;

export interface WebhookHealth {
  /** ms since the epoch, or null. */
  readonly lastSuccessAt: number | null;
  readonly lastFailureAt: number | null;
  readonly lastFailureMessage: string | null;
  /** Over the last {@link RECENT_OUTCOMES} attempts that were sent (circuit-open ones excluded). */
  readonly recentAttempts: number;
  readonly recentSuccesses: number;
  readonly circuit: DerivedCircuitState;
}

/** What a re-delivery needs: the producer event as kept by the log. */
export interface KeptEvent {
  readonly event: RequestEvent;
  /** False when the result was too large to keep (a re-delivery then sends `result_truncated`). */
  readonly resultKept: boolean;
}

/** Largest result kept with a delivery for re-delivery, in bytes of its JSON (4 KiB). */
export const MAX_KEPT_RESULT_BYTES = 4_096;
/** `error_message` is not part of the payload; at most this many characters of it are kept. */
export const MAX_KEPT_ERROR_MESSAGE_CHARS = 1_024;

/** What asking for a re-delivery gives: `queued`, or why not (no such delivery in the log, or its event is no longer kept). */
export type RedeliverResult = 'queued' | 'not_found' | 'event_gone';
