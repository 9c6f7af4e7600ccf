/**
 * Per-destination gate (isolation): what the process knows about each origin, in memory.
 *
 * - A concurrency cap per origin that follows what the origin sustains: `maxInFlightPerOrigin` while
 *   it answers fast, `slowMaxInFlightPerOrigin` once it is slow.
 * - A latency estimate: an origin is *slow* when its answers take longer than `slowAfterMs` on
 *   average, or when attempts have been in flight with no answer for several times its usual latency.
 *   The pipeline never lets an attempt to a slow origin hold a job slot.
 * - A circuit breaker: `failureThreshold` failures in a row, or attempts *stuck* (in flight with no
 *   answer for `stuckAfterMs`, or three times the usual latency if longer), open the circuit; while
 *   open, attempts are not sent; after the open time one probe is let through (`half_open`).
 *
 * Waiting for a slot is {@link DestinationGate.acquire}: first come, first served, bounded. Pure apart
 * from the injected clock and timers.
 */

/** The states of a destination's circuit. */
export const GATE_STATES = ['closed', 'open', 'half_open'] as const;
export type GateState = (typeof GATE_STATES)[number];
export type AcquireResult = 'ok' | 'busy' | 'open';
/** Why a circuit opened. */
export type OpenReason = 'failures' | 'stuck' | 'probe_failed';
/** Why a circuit changed: an {@link OpenReason}, or `remote` when another process's evidence was applied. */
export type TransitionReason = OpenReason | 'remote';

/** What an attempt that held a slot found out about its destination. */
export interface AttemptReport {
  /** The receiver answered with an HTTP status (any status). */
  readonly responded: boolean;
  /** The attempt counts as a success (2xx/3xx, or not the receiver's fault, e.g. refused by us). */
  readonly success: boolean;
  /** Wall time of the attempt, in milliseconds. */
  readonly durationMs: number;
}

/** Origins by state, for gauges. `slow` counts closed origins that are currently slow. */
export interface GateStats {
  readonly closed: number;
  readonly slow: number;
  readonly open: number;
  readonly half_open: number;
}

export interface DestinationGateOptions {
  /** Attempts in flight per origin while it is fast. Default 256. */
  readonly maxInFlightPerOrigin?: number;
  /** Attempts in flight per origin while it is slow. Default 32. */
  readonly slowMaxInFlightPerOrigin?: number;
  /** Average answer time above which an origin is slow, in milliseconds. Default 500. */
  readonly slowAfterMs?: number;
  /** Failures in a row that open the circuit. Default 5. */
  readonly failureThreshold?: number;
  /** No answer for this long while attempts are in flight opens the circuit, in milliseconds. Default 5,000. */
  readonly stuckAfterMs?: number;
  /** How long the circuit stays open before a probe, in milliseconds. Default 30,000. */
  readonly openMs?: number;
  /** Ceiling of the open time, which doubles after each failed probe, in milliseconds. Default 300,000. */
  readonly maxOpenMs?: number;
  /** Origins idle this long (nothing in flight, circuit closed or expired) are forgotten. Default 60,000. */
  readonly idleForgetMs?: number;
  /** Clock in milliseconds. Default Date.now. */
  readonly now?: () => number;
  /**
   * Called on every state change, e.g. to log or count it. `reason`: why it opened, or `remote` for
   * a change made by {@link DestinationGate.markOpen} / {@link DestinationGate.markClosed}.
   */
  readonly onTransition?: (origin: string, state: GateState, reason?: TransitionReason) => void;
}

export interface DestinationGate {
  /**
   * Takes a slot for one attempt to `origin` without waiting: `ok` (call {@link release} or
   * {@link cancel} afterwards), `busy` (the origin is at its cap), or `open` (the circuit is open or
   * its probe is in flight: do not send, see {@link openRemainingMs}).
   */
  tryAcquire(origin: string): AcquireResult;
  /**
   * Like {@link tryAcquire}, but a busy origin is waited for up to `maxWaitMs`: waiters are served
   * first come, first served as slots are released. Resolves `busy` when the wait runs out.
   */
  acquire(origin: string, maxWaitMs: number): Promise<AcquireResult>;
  /** Returns the slot of an attempt that ran, with what it found out. */
  release(origin: string, report: AttemptReport): void;
  /** Returns a slot unused (the attempt was not sent): no evidence either way. */
  cancel(origin: string): void;
  /** True when attempts to `origin` should not hold a job slot (see the module comment). */
  isSlow(origin: string): boolean;
  state(origin: string): GateState;
  /** Milliseconds until an open circuit lets a probe through; 0 when not open. */
  openRemainingMs(origin: string): number;
  /**
   * Applies another process's evidence that `origin` is dead: a circuit that is not open opens until
   * `untilMs` (epoch milliseconds; then a probe is let through as usual); an open one is kept open
   * until `untilMs` if that is later. A probe already in flight still decides. Does nothing when
   * `untilMs` has passed.
   */
  markOpen(origin: string, untilMs: number): void;
  /** Applies another process's evidence that `origin` answers again: an open or half-open circuit closes. */
  markClosed(origin: string): void;
  /** Origins by state (checks stuck origins on the way). */
  stats(): GateStats;
  /** Origins currently tracked. */
  trackedOrigins(): number;
}

interface OriginState {
  state: GateState;
  inFlight: number;
  consecutiveFailures: number;
  /** Average answer time in ms (exponentially weighted); undefined until the first answer. */
  latencyMs: number | undefined;
  /** Last answer, or when the origin last went from idle to busy. */
  lastProgressAt: number;
  /** Open time of the current/next opening; doubles after a failed probe. */
  openMs: number;
  openUntil: number;
  probeInFlight: boolean;
  lastUsed: number;
  waiters: Array<(result: AcquireResult) => void>;
}

/** Weight of the newest answer in the latency average. */
const LATENCY_WEIGHT = 0.2;
/** Attempts in flight with no answer for this many times the usual latency make an origin slow. */
const SUSPECT_FACTOR = 4;
/** ... but never sooner than this (ms): a burst to a fast origin is not slowness. */
const MIN_SUSPECT_MS = 50;
/** An origin is stuck after this many times its usual latency without an answer (if above stuckAfterMs). */
const STUCK_FACTOR = 3;

/** Creates a gate. One per worker process. */
export function createDestinationGate(options: DestinationGateOptions = {}): DestinationGate {
  const fastCap = options.maxInFlightPerOrigin ?? 256;
  const slowCap = Math.min(options.slowMaxInFlightPerOrigin ?? 32, fastCap);
  const slowAfterMs = options.slowAfterMs ?? 500;
  const failureThreshold = options.failureThreshold ?? 5;
  const stuckAfterMs = options.stuckAfterMs ?? 5_000;
  const baseOpenMs = options.openMs ?? 30_000;
  const maxOpenMs = Math.max(options.maxOpenMs ?? 300_000, baseOpenMs);
  const idleForgetMs = options.idleForgetMs ?? 60_000;
  const now = options.now ?? Date.now;
  const onTransition = options.onTransition;
  const origins = new Map<string, OriginState>();
  let nextSweepAt = now() + idleForgetMs;

  const moveTo = (origin: string, entry: OriginState, state: GateState, reason?: TransitionReason) => {
    entry.state = state;
    onTransition?.(origin, state, reason);
  };

  const open = (origin: string, entry: OriginState, t: number, reason: OpenReason) => {
    entry.openUntil = t + entry.openMs;
    entry.probeInFlight = false;
    moveTo(origin, entry, 'open', reason);
    // Whoever waits for a slot learns at once that there is none to wait for.
    for (const wake of entry.waiters.splice(0)) wake('open');
  };

  const close = (origin: string, entry: OriginState, reason?: TransitionReason) => {
    entry.consecutiveFailures = 0;
    entry.openMs = baseOpenMs;
    entry.probeInFlight = false;
    moveTo(origin, entry, 'closed', reason);
  };

  const waitingSinceMs = (entry: OriginState, t: number) => (entry.inFlight > 0 ? t - entry.lastProgressAt : 0);

  const stuckMs = (entry: OriginState) => Math.max(stuckAfterMs, STUCK_FACTOR * (entry.latencyMs ?? 0));

  /** Time-based transitions, applied whenever someone looks: open → half_open, closed → open (stuck). */
  const refresh = (origin: string, entry: OriginState, t: number) => {
    if (entry.state === 'open' && t >= entry.openUntil) moveTo(origin, entry, 'half_open');
    else if (entry.state === 'closed' && waitingSinceMs(entry, t) > stuckMs(entry)) open(origin, entry, t, 'stuck');
  };

  const slow = (entry: OriginState, t: number) =>
    (entry.latencyMs !== undefined && entry.latencyMs > slowAfterMs) ||
    waitingSinceMs(entry, t) > Math.max(MIN_SUSPECT_MS, SUSPECT_FACTOR * (entry.latencyMs ?? 0));

  const sweep = (t: number) => {
    if (t < nextSweepAt) return;
    nextSweepAt = t + idleForgetMs;
    for (const [origin, entry] of origins) {
      const idle = entry.inFlight === 0 && entry.waiters.length === 0 && t - entry.lastUsed >= idleForgetMs;
      const settled = entry.state === 'closed' || t >= entry.openUntil;
      if (idle && settled) origins.delete(origin);
    }
  };

  const entryOf = (origin: string, t: number): OriginState => {
    let entry = origins.get(origin);
    if (!entry) {
      entry = {
        state: 'closed',
        inFlight: 0,
        consecutiveFailures: 0,
        latencyMs: undefined,
        lastProgressAt: t,
        openMs: baseOpenMs,
        openUntil: 0,
        probeInFlight: false,
        lastUsed: t,
        waiters: [],
      };
      origins.set(origin, entry);
    }
    return entry;
  };

  const take = (entry: OriginState, t: number) => {
    if (entry.inFlight === 0) entry.lastProgressAt = t;
    entry.inFlight += 1;
  };

  const tryAcquire = (origin: string): AcquireResult => {
    const t = now();
    sweep(t);
    const entry = entryOf(origin, t);
    entry.lastUsed = t;
    refresh(origin, entry, t);
    if (entry.state === 'open') return 'open';
    if (entry.state === 'half_open') {
      if (entry.probeInFlight) return 'open';
      entry.probeInFlight = true;
      take(entry, t);
      return 'ok';
    }
    // Waiters are served first: a newcomer does not overtake them.
    if (entry.waiters.length > 0 || entry.inFlight >= (slow(entry, t) ? slowCap : fastCap)) return 'busy';
    take(entry, t);
    return 'ok';
  };

  /** Hands freed slots to waiters, oldest first. */
  const wakeWaiters = (entry: OriginState) => {
    while (entry.waiters.length > 0) {
      const t = now();
      if (entry.state !== 'closed' || entry.inFlight >= (slow(entry, t) ? slowCap : fastCap)) return;
      const wake = entry.waiters.shift() as (result: AcquireResult) => void;
      take(entry, t);
      wake('ok');
    }
  };

  const giveBack = (entry: OriginState, t: number) => {
    entry.lastUsed = t;
    entry.inFlight = Math.max(0, entry.inFlight - 1);
  };

  return {
    tryAcquire,

    acquire(origin, maxWaitMs) {
      const first = tryAcquire(origin);
      if (first !== 'busy' || maxWaitMs <= 0) return Promise.resolve(first);
      const entry = origins.get(origin) as OriginState;
      return new Promise<AcquireResult>((resolve) => {
        const wake = (result: AcquireResult) => {
          clearTimeout(timer);
          resolve(result);
        };
        const timer = setTimeout(() => {
          const i = entry.waiters.indexOf(wake);
          if (i >= 0) entry.waiters.splice(i, 1);
          resolve('busy');
        }, maxWaitMs);
        entry.waiters.push(wake);
      });
    },

    release(origin, report) {
      const entry = origins.get(origin);
      if (!entry) return;
      const t = now();
      giveBack(entry, t);
      if (report.responded) {
        entry.lastProgressAt = t;
        entry.latencyMs =
          entry.latencyMs === undefined
            ? report.durationMs
            : entry.latencyMs + LATENCY_WEIGHT * (report.durationMs - entry.latencyMs);
      }
      refresh(origin, entry, t);
      if (entry.state === 'half_open') {
        // Any answer while half-open decides the probe (an attempt started before the circuit opened
        // counts as well: it is just as recent evidence about the receiver).
        if (report.success) close(origin, entry);
        else {
          entry.openMs = Math.min(entry.openMs * 2, maxOpenMs);
          open(origin, entry, t, 'probe_failed');
        }
      } else if (entry.state === 'open') {
        // A late success shows the receiver is alive after all (a slow receiver that did answer).
        if (report.success) close(origin, entry);
      } else if (report.success) {
        entry.consecutiveFailures = 0;
      } else {
        entry.consecutiveFailures += 1;
        if (entry.consecutiveFailures >= failureThreshold) open(origin, entry, t, 'failures');
      }
      wakeWaiters(entry);
    },

    cancel(origin) {
      const entry = origins.get(origin);
      if (!entry) return;
      giveBack(entry, now());
      if (entry.state === 'half_open') entry.probeInFlight = false;
      wakeWaiters(entry);
    },

    isSlow(origin) {
      const entry = origins.get(origin);
      return entry !== undefined && slow(entry, now());
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

    markOpen(origin, untilMs) {
      const t = now();
      if (untilMs <= t) return;
      const entry = entryOf(origin, t);
      refresh(origin, entry, t);
      if (entry.state === 'open') {
        entry.openUntil = Math.max(entry.openUntil, untilMs);
        return;
      }
      // A probe in flight may still close it (a success in the open state does, see release).
      entry.openUntil = untilMs;
      entry.probeInFlight = false;
      moveTo(origin, entry, 'open', 'remote');
      for (const wake of entry.waiters.splice(0)) wake('open');
    },

    markClosed(origin) {
      const entry = origins.get(origin);
      if (!entry) return;
      refresh(origin, entry, now());
      if (entry.state !== 'closed') close(origin, entry, 'remote');
      wakeWaiters(entry);
    },

    stats() {
      const t = now();
      const counts = { closed: 0, slow: 0, open: 0, half_open: 0 };
      for (const [origin, entry] of origins) {
        refresh(origin, entry, t);
        counts[entry.state] += 1;
        if (entry.state === 'closed' && slow(entry, t)) counts.slow += 1;
      }
      return counts;
    },

    trackedOrigins() {
      return origins.size;
    },
  };
}
