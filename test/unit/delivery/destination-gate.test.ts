import { describe, expect, it } from 'vitest';
import { createDestinationGate, type GateState } from '../../../src/delivery/index.js';

const A = 'https://a.example';
const B = 'https://b.example';

function setup(options: { maxInFlightPerOrigin?: number; failureThreshold?: number; openMs?: number; maxOpenMs?: number } = {}) {
  let t = 1_000_000;
  const transitions: Array<[string, GateState]> = [];
  const gate = createDestinationGate({
    maxInFlightPerOrigin: 2,
    failureThreshold: 3,
    openMs: 1_000,
    ...options,
    now: () => t,
    onTransition: (origin, state) => transitions.push([origin, state]),
  });
  const fail = (origin: string, times: number) => {
    for (let i = 0; i < times; i++) {
      expect(gate.tryAcquire(origin)).toBe('ok');
      gate.release(origin, false);
    }
  };
  return { gate, transitions, fail, advance: (ms: number) => (t += ms) };
}

describe('destination gate', () => {
  it('caps concurrent attempts per origin while closed, independently per origin', () => {
    const { gate } = setup();
    expect(gate.tryAcquire(A)).toBe('ok');
    expect(gate.tryAcquire(A)).toBe('ok');
    expect(gate.tryAcquire(A)).toBe('busy');
    expect(gate.tryAcquire(B)).toBe('ok');
    gate.release(A, true);
    expect(gate.tryAcquire(A)).toBe('ok');
    expect(gate.state(A)).toBe('closed');
  });

  it('opens after failureThreshold consecutive failures, and a success resets the count', () => {
    const { gate, fail, transitions } = setup();
    fail(A, 2);
    expect(gate.tryAcquire(A)).toBe('ok');
    gate.release(A, true);
    fail(A, 2);
    expect(gate.state(A)).toBe('closed');
    fail(A, 1);
    expect(gate.state(A)).toBe('open');
    expect(gate.tryAcquire(A)).toBe('open');
    expect(gate.openRemainingMs(A)).toBe(1_000);
    expect(transitions).toEqual([[A, 'open']]);
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
    expect(transitions).toEqual([
      [A, 'open'],
      [A, 'half_open'],
    ]);
  });

  it('closes when the probe succeeds', () => {
    const { gate, fail, advance, transitions } = setup();
    fail(A, 3);
    advance(1_000);
    expect(gate.tryAcquire(A)).toBe('ok');
    gate.release(A, true);
    expect(gate.state(A)).toBe('closed');
    expect(gate.tryAcquire(A)).toBe('ok');
    expect(gate.tryAcquire(A)).toBe('ok');
    expect(transitions.map(([, s]) => s)).toEqual(['open', 'half_open', 'closed']);
    // The failure count starts again from zero.
    gate.release(A, false);
    gate.release(A, false);
    expect(gate.state(A)).toBe('closed');
  });

  it('re-opens when the probe fails, doubling the open time up to the ceiling', () => {
    const { gate, fail, advance } = setup({ maxOpenMs: 3_000 });
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
    advance(3_000);
    expect(gate.tryAcquire(A)).toBe('ok');
    gate.release(A, true);
    expect(gate.state(A)).toBe('closed');
    // After closing, the next opening is back to openMs.
    fail(A, 3);
    expect(gate.openRemainingMs(A)).toBe(1_000);
  });

  it('ignores late results of attempts started before the circuit opened', () => {
    const { gate, fail } = setup({ maxInFlightPerOrigin: 5 });
    expect(gate.tryAcquire(A)).toBe('ok');
    fail(A, 3);
    expect(gate.state(A)).toBe('open');
    gate.release(A, true);
    expect(gate.state(A)).toBe('open');
  });

  it('forgets idle origins so memory stays bounded', () => {
    const { gate, fail, advance } = setup();
    for (let i = 0; i < 100; i++) {
      expect(gate.tryAcquire(`https://h${i}.example`)).toBe('ok');
      gate.release(`https://h${i}.example`, true);
    }
    expect(gate.trackedOrigins()).toBe(0);
    fail(A, 1);
    fail(B, 3);
    expect(gate.trackedOrigins()).toBe(2);
    advance(60_000);
    gate.tryAcquire('https://c.example');
    expect(gate.trackedOrigins()).toBe(1);
    expect(gate.state(B)).toBe('closed');
  });

  it('keeps origins with attempts in flight', () => {
    const { gate, advance } = setup();
    expect(gate.tryAcquire(A)).toBe('ok');
    advance(120_000);
    gate.tryAcquire(B);
    expect(gate.trackedOrigins()).toBe(2);
    gate.release(A, true);
    expect(gate.trackedOrigins()).toBe(1);
  });
});
