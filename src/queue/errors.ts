/** Errors the delivery processor throws to BullMQ, which only carry a decision. */

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
