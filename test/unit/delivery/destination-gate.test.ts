import { describe, expect, it } from 'vitest';
import { type AttemptReport, createDestinationGate, type GateState, type TransitionReason } from '../../../src/delivery/index.js';

const A = 'https://a.example';
const B = 'https://b.example';
const OK: AttemptReport = { responded: true, success: true, durationMs: 5 };
const FAIL: AttemptReport = { responded: true, success: false, durationMs: 5 };
const TIMEOUT: AttemptReport = { responded: false, success: false, durationMs: 30_000 };

type Options = Parameters<typeof createDestinationGate>[0];

function setup(options: Options = {}) {
  let t = 1_000_000;
  const transitions: Array<[string, GateState, TransitionReason | undefined]> = [];
  const gate = createDestinationGate({
    maxInFlightPerOrigin: 2,
    slowMaxInFlightPerOrigin: 1,
    failureThreshold: 3,
    openMs: 1_000,
    stuckAfterMs: 5_000,
    slowAfterMs: 500,
    ...options,
    now: () => t,
    onTransition: (origin, state, reason) => transitions.push([origin, state, reason]),
  });
  const fail = (origin: string, times: number) => {
    for (let i = 0; i < times; i++) {
      expect(gate.tryAcquire(origin)).toBe('ok');
      gate.release(origin, FAIL);
    }
  };
  return { gate, transitions, fail, advance: (ms: number) => (t += ms) };
}

describe('destination gate: caps and circuit', () => {
  it('caps concurrent attempts per origin while closed, independently per origin', () => {
    const { gate } = setup();
    expect(gate.tryAcquire(A)).toBe('ok');
    expect(gate.tryAcquire(A)).toBe('ok');
    expect(gate.tryAcquire(A)).toBe('busy');
    expect(gate.tryAcquire(B)).toBe('ok');
    gate.release(A, OK);
    expect(gate.tryAcquire(A)).toBe('ok');
    expect(gate.state(A)).toBe('closed');
  });

  it('opens after failureThreshold consecutive failures, and a success resets the count', () => {
    const { gate, fail, transitions } = setup();
    fail(A, 2);
    expect(gate.tryAcquire(A)).toBe('ok');
    gate.release(A, OK);
    fail(A, 2);
    expect(gate.state(A)).toBe('closed');
    fail(A, 1);
    expect(gate.state(A)).toBe('open');
    expect(gate.tryAcquire(A)).toBe('open');
    expect(gate.openRemainingMs(A)).toBe(1_000);
    expect(transitions).toEqual([[A, 'open', 'failures']]);
    expect(gate.tryAcquire(B)).toBe('ok');
  });

  it('goes half-open after openMs and lets exactly one probe through', () => {
    const { gate, fail, advance, transitions } = setup();
    fail(A, 3);
    advance(999);
    expect(gate.tryAcquire(A)).toBe('open');
    advance(1);
    expect(gate.state(A)).toBe('half_open');
    expect(gate.tryAcquire(A)).toBe('ok');
    expect(gate.tryAcquire(A)).toBe('open');
    expect(transitions.map(([, s]) => s)).toEqual(['open', 'half_open']);
  });

  it('closes when the probe succeeds; the failure count starts again from zero', () => {
    const { gate, fail, advance, transitions } = setup();
    fail(A, 3);
    advance(1_000);
    expect(gate.tryAcquire(A)).toBe('ok');
    gate.release(A, OK);
    expect(gate.state(A)).toBe('closed');
    expect(transitions.map(([, s]) => s)).toEqual(['open', 'half_open', 'closed']);
    fail(A, 2);
    expect(gate.state(A)).toBe('closed');
  });

  it('re-opens when the probe fails, doubling the open time up to the ceiling', () => {
    const { gate, fail, advance, transitions } = setup({ maxOpenMs: 3_000 });
    fail(A, 3);
    advance(1_000);
    fail(A, 1);
    expect(gate.state(A)).toBe('open');
    expect(gate.openRemainingMs(A)).toBe(2_000);
    advance(2_000);
    fail(A, 1);
    expect(gate.openRemainingMs(A)).toBe(3_000);
    advance(3_000);
    fail(A, 1);
    expect(gate.openRemainingMs(A)).toBe(3_000);
    expect(transitions.filter(([, s]) => s === 'open').map(([, , r]) => r)).toEqual([
      'failures',
      'probe_failed',
      'probe_failed',
      'probe_failed',
    ]);
    advance(3_000);
    expect(gate.tryAcquire(A)).toBe('ok');
    gate.release(A, OK);
    expect(gate.state(A)).toBe('closed');
    // After closing, the next opening is back to openMs.
    fail(A, 3);
    expect(gate.openRemainingMs(A)).toBe(1_000);
  });

  it('a late success of an attempt started before the circuit opened closes it (the receiver is alive)', () => {
    const { gate, fail } = setup({ maxInFlightPerOrigin: 5 });
    expect(gate.tryAcquire(A)).toBe('ok');
    fail(A, 3);
    expect(gate.state(A)).toBe('open');
    gate.release(A, OK);
    expect(gate.state(A)).toBe('closed');
  });

  it('a late failure while open changes nothing', () => {
    const { gate, fail } = setup({ maxInFlightPerOrigin: 5 });
    expect(gate.tryAcquire(A)).toBe('ok');
    fail(A, 3);
    const remaining = gate.openRemainingMs(A);
    gate.release(A, TIMEOUT);
    expect(gate.state(A)).toBe('open');
    expect(gate.openRemainingMs(A)).toBe(remaining);
  });

  it('cancel returns a slot without evidence, and frees a half-open probe', () => {
    const { gate, fail, advance } = setup();
    expect(gate.tryAcquire(A)).toBe('ok');
    expect(gate.tryAcquire(A)).toBe('ok');
    gate.cancel(A);
    expect(gate.tryAcquire(A)).toBe('ok');
    gate.cancel(A);
    gate.cancel(A);
    fail(A, 3);
    advance(1_000);
    expect(gate.tryAcquire(A)).toBe('ok');
    gate.cancel(A);
    expect(gate.state(A)).toBe('half_open');
    expect(gate.tryAcquire(A)).toBe('ok');
  });

  it('forgets idle origins so memory stays bounded', () => {
    const { gate, fail, advance } = setup();
    for (let i = 0; i < 100; i++) {
      expect(gate.tryAcquire(`https://h${i}.example`)).toBe('ok');
      gate.release(`https://h${i}.example`, OK);
    }
    fail(B, 3);
    advance(60_000);
    gate.tryAcquire('https://c.example');
    expect(gate.trackedOrigins()).toBe(1);
    expect(gate.state(B)).toBe('closed');
  });
});

describe('destination gate: slow and stuck destinations', () => {
  it('an attempt in flight with no answer for several times the usual latency makes the origin slow', () => {
    const { gate, advance } = setup({ maxInFlightPerOrigin: 10, slowMaxInFlightPerOrigin: 3 });
    // Usual latency 5 ms: suspect after max(50 ms, 4 × 5 ms).
    expect(gate.tryAcquire(A)).toBe('ok');
    gate.release(A, OK);
    expect(gate.tryAcquire(A)).toBe('ok');
    advance(49);
    expect(gate.isSlow(A)).toBe(false);
    advance(2);
    expect(gate.isSlow(A)).toBe(true);
    // Slow: the cap shrinks to the slow cap (1 in flight, 2 more).
    expect(gate.tryAcquire(A)).toBe('ok');
    expect(gate.tryAcquire(A)).toBe('ok');
    expect(gate.tryAcquire(A)).toBe('busy');
    expect(gate.stats()).toMatchObject({ closed: 1, slow: 1 });
    // An answer is progress: no longer suspect (its latency average is still small).
    gate.release(A, OK);
    expect(gate.isSlow(A)).toBe(false);
  });

  it('an origin whose average answer time exceeds slowAfterMs is slow; a new origin is not', () => {
    const { gate } = setup();
    expect(gate.isSlow(A)).toBe(false);
    expect(gate.tryAcquire(A)).toBe('ok');
    gate.release(A, { responded: true, success: true, durationMs: 2_000 });
    expect(gate.isSlow(A)).toBe(true);
    for (let i = 0; i < 20; i++) {
      expect(gate.tryAcquire(A)).toBe('ok');
      gate.release(A, OK);
    }
    expect(gate.isSlow(A)).toBe(false);
  });

  it('attempts stuck with no answer for stuckAfterMs open the circuit before any failure arrives', () => {
    const { gate, advance, transitions } = setup({ maxInFlightPerOrigin: 10, slowMaxInFlightPerOrigin: 10 });
    expect(gate.tryAcquire(A)).toBe('ok');
    advance(4_000);
    expect(gate.tryAcquire(A)).toBe('ok');
    advance(1_001);
    expect(gate.tryAcquire(A)).toBe('open');
    expect(transitions).toEqual([[A, 'open', 'stuck']]);
    expect(gate.stats()).toMatchObject({ open: 1 });
    // The stuck attempts time out later: no change while open.
    gate.release(A, TIMEOUT);
    gate.release(A, TIMEOUT);
    expect(gate.state(A)).toBe('open');
  });

  it('a receiver that is usually slow is not stuck until three times its usual latency', () => {
    const { gate, advance } = setup({ maxInFlightPerOrigin: 10 });
    expect(gate.tryAcquire(A)).toBe('ok');
    gate.release(A, { responded: true, success: true, durationMs: 4_000 });
    expect(gate.tryAcquire(A)).toBe('ok');
    advance(11_000);
    expect(gate.state(A)).toBe('closed');
    advance(1_001);
    expect(gate.state(A)).toBe('open');
  });

  it('an idle origin is never stuck', () => {
    const { gate, advance } = setup();
    expect(gate.tryAcquire(A)).toBe('ok');
    gate.release(A, OK);
    advance(50_000);
    expect(gate.tryAcquire(A)).toBe('ok');
    expect(gate.state(A)).toBe('closed');
  });
});

describe('destination gate: acquire(origin, maxWaitMs)', () => {
  it('takes a free slot at once', async () => {
    const { gate } = setup();
    await expect(gate.acquire(A, 50)).resolves.toBe('ok');
  });

  it('a busy origin is waited for; waiters are served first come, first served', async () => {
    const { gate } = setup({ maxInFlightPerOrigin: 1 });
    expect(gate.tryAcquire(A)).toBe('ok');
    const order: string[] = [];
    const first = gate.acquire(A, 1_000).then((r) => order.push(`first:${r}`));
    const second = gate.acquire(A, 1_000).then((r) => order.push(`second:${r}`));
    // A newcomer does not overtake the waiters.
    expect(gate.tryAcquire(A)).toBe('busy');
    gate.release(A, OK);
    await first;
    expect(order).toEqual(['first:ok']);
    gate.release(A, OK);
    await second;
    expect(order).toEqual(['first:ok', 'second:ok']);
  });

  it('resolves busy when the wait runs out, and the timed-out waiter leaves the line', async () => {
    const { gate } = setup({ maxInFlightPerOrigin: 1 });
    expect(gate.tryAcquire(A)).toBe('ok');
    const startedAt = Date.now();
    await expect(gate.acquire(A, 30)).resolves.toBe('busy');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(25);
    gate.release(A, OK);
    expect(gate.tryAcquire(A)).toBe('ok');
  });

  it('waiters learn at once when the circuit opens', async () => {
    const { gate } = setup({ maxInFlightPerOrigin: 3, failureThreshold: 1 });
    for (let i = 0; i < 3; i++) expect(gate.tryAcquire(A)).toBe('ok');
    const waiting = gate.acquire(A, 5_000);
    gate.release(A, FAIL);
    await expect(waiting).resolves.toBe('open');
  });

  it('maxWaitMs 0 does not wait', async () => {
    const { gate } = setup({ maxInFlightPerOrigin: 1 });
    expect(gate.tryAcquire(A)).toBe('ok');
    await expect(gate.acquire(A, 0)).resolves.toBe('busy');
  });
});

describe('destination gate: evidence from other processes', () => {
  it('markOpen opens a closed circuit until the given time, then lets one probe through', () => {
    const { gate, transitions, advance } = setup();
    gate.markOpen(A, 1_000_000 + 2_500);
    expect(gate.state(A)).toBe('open');
    expect(gate.tryAcquire(A)).toBe('open');
    expect(gate.openRemainingMs(A)).toBe(2_500);
    expect(transitions).toEqual([[A, 'open', 'remote']]);
    expect(gate.state(B)).toBe('closed');
    advance(2_500);
    expect(gate.tryAcquire(A)).toBe('ok');
    expect(gate.tryAcquire(A)).toBe('open');
    gate.release(A, OK);
    expect(gate.state(A)).toBe('closed');
  });

  it('markOpen keeps a later local open time and extends an earlier one, without a transition', () => {
    const { gate, transitions, fail } = setup();
    fail(A, 3);
    expect(gate.openRemainingMs(A)).toBe(1_000);
    gate.markOpen(A, 1_000_000 + 500);
    expect(gate.openRemainingMs(A)).toBe(1_000);
    gate.markOpen(A, 1_000_000 + 4_000);
    expect(gate.openRemainingMs(A)).toBe(4_000);
    expect(transitions).toEqual([[A, 'open', 'failures']]);
  });

  it('markOpen ignores a time that has passed', () => {
    const { gate, transitions } = setup();
    gate.markOpen(A, 1_000_000);
    gate.markOpen(A, 999_000);
    expect(gate.state(A)).toBe('closed');
    expect(transitions).toEqual([]);
  });

  it('markOpen wakes waiters with open', async () => {
    const { gate } = setup();
    expect(gate.tryAcquire(A)).toBe('ok');
    expect(gate.tryAcquire(A)).toBe('ok');
    const waiting = gate.acquire(A, 10_000);
    gate.markOpen(A, 1_000_000 + 1_000);
    await expect(waiting).resolves.toBe('open');
  });

  it('a probe in flight when markOpen arrives can still close the circuit; a failed one does not wedge it', () => {
    const { gate, fail, advance } = setup();
    fail(A, 3);
    advance(1_000);
    expect(gate.tryAcquire(A)).toBe('ok'); // the probe
    gate.markOpen(A, 1_000_000 + 1_000 + 3_000);
    gate.release(A, FAIL);
    expect(gate.state(A)).toBe('open');
    advance(3_000);
    expect(gate.tryAcquire(A)).toBe('ok'); // next probe is not blocked by the first
  });

  it('markClosed closes an open circuit with reason remote and does nothing to a closed one', () => {
    const { gate, transitions, fail } = setup();
    fail(A, 3);
    gate.markClosed(A);
    gate.markClosed(B);
    expect(gate.state(A)).toBe('closed');
    expect(gate.tryAcquire(A)).toBe('ok');
    expect(transitions).toEqual([
      [A, 'open', 'failures'],
      [A, 'closed', 'remote'],
    ]);
  });
});
