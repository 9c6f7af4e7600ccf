import { describe, expect, it } from 'vitest';
import { AttemptCode } from '../../../src/outcomes.js';
import { BACKOFF_TYPE, RetryLaterError, decidedBackoff, retryJobOptions, settle } from '../../../src/retry/index.js';

const scheduleMs = [1_000, 5_000] as const;
const half = () => 0.5;

describe('settle (the retry policy after an attempt)', () => {
  it('is done on a delivered attempt', () => {
    expect(settle({ kind: 'delivered', errorCode: 'HTTP_200' }, true, 0, scheduleMs)).toEqual({ outcome: 'success' });
  });

  it('retries a failure of a retry: true webhook on the schedule, honouring Retry-After, then gives up', () => {
    const failed = { kind: 'failed', errorCode: 'HTTP_503' } as const;
    expect(settle(failed, true, 1, scheduleMs, half)).toEqual({ outcome: 'retrying', delayMs: 1_000 });
    expect(settle({ ...failed, retryAfterMs: 1_500 }, true, 1, scheduleMs, half)).toEqual({ outcome: 'retrying', delayMs: 1_500 });
    expect(settle(failed, true, 2, scheduleMs, half)).toEqual({ outcome: 'retrying', delayMs: 5_000 });
    expect(settle(failed, true, 3, scheduleMs, half)).toEqual({ outcome: 'failed' });
  });

  it('never retries a retry: false webhook, nor a final code', () => {
    expect(settle({ kind: 'failed', errorCode: AttemptCode.TIMEOUT }, false, 1, scheduleMs)).toEqual({ outcome: 'failed' });
    expect(settle({ kind: 'failed', errorCode: AttemptCode.INVALID_REQUEST }, true, 1, scheduleMs)).toEqual({ outcome: 'failed' });
    expect(settle({ kind: 'refused', errorCode: AttemptCode.DESTINATION_REFUSED }, true, 1, scheduleMs)).toEqual({ outcome: 'refused' });
  });

  it('reaches BullMQ through the backoff strategy and the job options', () => {
    expect(decidedBackoff(1, BACKOFF_TYPE, new RetryLaterError('Received HTTP 503', 1_234))).toBe(1_234);
    expect(decidedBackoff(1, BACKOFF_TYPE, new Error('other'))).toBe(-1);
    expect(retryJobOptions(scheduleMs)).toEqual({ attempts: 3, backoff: { type: BACKOFF_TYPE } });
  });
});
