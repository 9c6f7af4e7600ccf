import { describe, expect, it } from 'vitest';
import { nextRetryDelayMs, parseRetryAfter } from '../../../src/retry/index.js';

const scheduleMs = [10_000, 60_000, 300_000] as const;
const fixed = (value: number) => () => value;

describe('nextRetryDelayMs', () => {
  it('follows the schedule and gives up when it is exhausted', () => {
    expect(nextRetryDelayMs({ failedAttempts: 1, scheduleMs, random: fixed(0.5) })).toBe(10_000);
    expect(nextRetryDelayMs({ failedAttempts: 2, scheduleMs, random: fixed(0.5) })).toBe(60_000);
    expect(nextRetryDelayMs({ failedAttempts: 3, scheduleMs, random: fixed(0.5) })).toBe(300_000);
    expect(nextRetryDelayMs({ failedAttempts: 4, scheduleMs, random: fixed(0.5) })).toBeNull();
    expect(nextRetryDelayMs({ failedAttempts: 1, scheduleMs: [] })).toBeNull();
  });

  it('jitters within [0.8, 1.2) of the scheduled delay', () => {
    expect(nextRetryDelayMs({ failedAttempts: 1, scheduleMs, random: fixed(0) })).toBe(8_000);
    expect(nextRetryDelayMs({ failedAttempts: 1, scheduleMs, random: fixed(0.999_999) })).toBe(12_000);
    for (let i = 0; i < 1_000; i++) {
      const delay = nextRetryDelayMs({ failedAttempts: 2, scheduleMs }) as number;
      expect(delay).toBeGreaterThanOrEqual(48_000);
      expect(delay).toBeLessThanOrEqual(72_000);
    }
  });

  it('never retries sooner than Retry-After asks', () => {
    expect(nextRetryDelayMs({ failedAttempts: 1, scheduleMs, retryAfterMs: 15_000, random: fixed(0) })).toBe(15_000);
  });

  it('keeps the jittered delay when Retry-After asks for less', () => {
    expect(nextRetryDelayMs({ failedAttempts: 1, scheduleMs, retryAfterMs: 1_000, random: fixed(0.5) })).toBe(10_000);
  });

  it('caps Retry-After at twice the scheduled delay', () => {
    expect(nextRetryDelayMs({ failedAttempts: 1, scheduleMs, retryAfterMs: 3_600_000, random: fixed(0.5) })).toBe(20_000);
  });

  it('still gives up when exhausted even with a Retry-After', () => {
    expect(nextRetryDelayMs({ failedAttempts: 4, scheduleMs, retryAfterMs: 1_000 })).toBeNull();
  });

  it('refuses a nonsensical attempt count', () => {
    expect(() => nextRetryDelayMs({ failedAttempts: 0, scheduleMs })).toThrow(RangeError);
  });
});

describe('parseRetryAfter', () => {
  const nowMs = Date.parse('2026-11-22T05:00:00Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('120', nowMs)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', nowMs)).toBe(0);
  });

  it('reads an HTTP-date relative to now, and a past date as 0', () => {
    expect(parseRetryAfter('Sun, 22 Nov 2026 05:01:30 GMT', nowMs)).toBe(90_000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 04:00:00 GMT', nowMs)).toBe(0);
  });

  it('ignores values that are neither', () => {
    expect(parseRetryAfter('soon', nowMs)).toBeUndefined();
    expect(parseRetryAfter('-5', nowMs)).toBeUndefined();
    expect(parseRetryAfter('1.5', nowMs)).toBeUndefined();
    expect(parseRetryAfter('2026-11-22', nowMs)).toBeUndefined();
  });
});
