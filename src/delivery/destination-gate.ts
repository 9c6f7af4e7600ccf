/**
 * Per-destination gate (SPEC §5, isolation): a concurrency cap and a circuit breaker per origin, in
 * memory, per worker process. A slow receiver can hold at most `maxInFlightPerOrigin` slots; a
 * failing one is cut off (`open`) so its deliveries are parked instead of waiting, then probed by
 * exactly one attempt (`half_open`). Pure apart from the injected clock.
 */

export type GateState = 'closed' | 'open' | 'half_open';
export type AcquireResult = 'ok' | 'busy' | 'open';

export interface DestinationGateOptions {
  /** Concurrent attempts per origin while closed. Default 32. */
  readonly maxInFlightPerOrigin?: number;
  /** Consecutive failures that open the circuit. Default 5. */
  readonly failureThreshold?: number;
  /** How long the circuit stays open before a probe, in milliseconds. Default 30,000. */
  readonly openMs?: number;
  /** Ceiling of the open time, which doubles after each failed probe, in milliseconds. Default 300,000. */
  readonly maxOpenMs?: number;
  /** Origins idle this long (nothing in flight, circuit closed or expired) are forgotten. Default 60,000. */
  readonly idleForgetMs?: number;
  /** Clock in milliseconds. Default Date.now. */
  readonly now?: () => number;
  /** Called on every state change, e.g. to log or count it. */
  readonly onTransition?: (origin: string, state: GateState) => void;
}

export interface DestinationGate {
  /**
   * Takes a slot for one attempt to `origin`: `ok` (call {@link release} afterwards), `busy` (the
   * origin is at its cap: try another delivery), or `open` (the circuit is open or its probe is
   * in flight: park the delivery, see {@link openRemainingMs}).
   */
  tryAcquire(origin: string): AcquireResult;
  /** Returns the slot taken by a successful tryAcquire, with the attempt's result. */
  release(origin: string, success: boolean): void;
  state(origin: string): GateState;
  /** Milliseconds until an open circuit lets a probe through; 0 when not open. */
  openRemainingMs(origin: string): number;
  /** Origins currently tracked (for tests and a gauge). */
  trackedOrigins(): number;
}

interface OriginState {
  state: GateState;
  inFlight: number;
  consecutiveFailures: number;
  /** Open time of the current/next opening; doubles after a failed probe. */
  openMs: number;
  openUntil: number;
  probeInFlight: boolean;
  lastUsed: number;
}

/** Creates a gate. One per worker process. */
export function createDestinationGate(options: DestinationGateOptions = {}): DestinationGate {
  const maxInFlight = options.maxInFlightPerOrigin ?? 32;
  const failureThreshold = options.failureThreshold ?? 5;
  const baseOpenMs = options.openMs ?? 30_000;
  const maxOpenMs = Math.max(options.maxOpenMs ?? 300_000, baseOpenMs);
  const idleForgetMs = options.idleForgetMs ?? 60_000;
  const now = options.now ?? Date.now;
  const onTransition = options.onTransition;
  const origins = new Map<string, OriginState>();
  let nextSweepAt = now() + idleForgetMs;

  const moveTo = (origin: string, entry: OriginState, state: GateState) => {
    entry.state = state;
    onTransition?.(origin, state);
  };

  const open = (origin: string, entry: OriginState, t: number) => {
    entry.openUntil = t + entry.openMs;
    entry.probeInFlight = false;
    moveTo(origin, entry, 'open');
  };

  /** An open circuit whose time is up becomes half-open when someone looks at it. */
  const refresh = (origin: string, entry: OriginState, t: number) => {
    if (entry.state === 'open' && t >= entry.openUntil) moveTo(origin, entry, 'half_open');
  };

  const sweep = (t: number) => {
    if (t < nextSweepAt) return;
    nextSweepAt = t + idleForgetMs;
    for (const [origin, entry] of origins) {
      const idle = entry.inFlight === 0 && t - entry.lastUsed >= idleForgetMs;
      const settled = entry.state === 'closed' || t >= entry.openUntil;
      if (idle && settled) origins.delete(origin);
    }
  };

  return {
    tryAcquire(origin) {
      const t = now();
      sweep(t);
      let entry = origins.get(origin);
      if (!entry) {
        entry = {
          state: 'closed',
          inFlight: 0,
          consecutiveFailures: 0,
          openMs: baseOpenMs,
          openUntil: 0,
          probeInFlight: false,
          lastUsed: t,
        };
        origins.set(origin, entry);
      }
      entry.lastUsed = t;
      refresh(origin, entry, t);
      if (entry.state === 'open') return 'open';
      if (entry.state === 'half_open') {
        if (entry.probeInFlight) return 'open';
        entry.probeInFlight = true;
        entry.inFlight += 1;
        return 'ok';
      }
      if (entry.inFlight >= maxInFlight) return 'busy';
      entry.inFlight += 1;
      return 'ok';
    },

    release(origin, success) {
      const entry = origins.get(origin);
      if (!entry) return;
      const t = now();
      entry.lastUsed = t;
      entry.inFlight = Math.max(0, entry.inFlight - 1);
      refresh(origin, entry, t);
      // Any answer while half-open decides the probe (an attempt started before the circuit opened
      // counts as well: it is just as recent evidence about the receiver).
      if (entry.state === 'half_open') {
        entry.probeInFlight = false;
        if (success) {
          entry.consecutiveFailures = 0;
          entry.openMs = baseOpenMs;
          moveTo(origin, entry, 'closed');
        } else {
          entry.openMs = Math.min(entry.openMs * 2, maxOpenMs);
          open(origin, entry, t);
        }
        return;
      }
      // Late results of attempts started before the circuit opened change nothing.
      if (entry.state === 'open') return;
      if (success) {
        entry.consecutiveFailures = 0;
        if (entry.inFlight === 0) origins.delete(origin);
        return;
      }
      entry.consecutiveFailures += 1;
      if (entry.consecutiveFailures >= failureThreshold) open(origin, entry, t);
    },

    state(origin) {
      const entry = origins.get(origin);
      if (!entry) return 'closed';
      refresh(origin, entry, now());
      return entry.state;
    },

    openRemainingMs(origin) {
      const entry = origins.get(origin);
      if (entry?.state !== 'open') return 0;
      return Math.max(0, entry.openUntil - now());
    },

    trackedOrigins() {
      return origins.size;
    },
  };
}
