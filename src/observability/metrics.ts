/**
 * Every Prometheus metric of hookpost, in one module (listed in the README's Observability section).
 * The registry is passed in so each test can use a fresh one. Labels are bounded: never URLs, header
 * values or ids.
 */
import { Counter, Gauge, Histogram, type Registry, collectDefaultMetrics } from 'prom-client';
import { ATTEMPT_RESULTS, DELIVERY_OUTCOMES } from '../outcomes.js';

/** Outcomes of a consumed event job. */
export const EVENT_OUTCOMES = ['matched', 'unmatched', 'invalid'] as const;
export type EventOutcome = (typeof EVENT_OUTCOMES)[number];
/**
 * Why a delivery was handed off the fast path: `detached` (its attempt waits on a slow receiver
 * without a job slot), `destination_busy` (the destination is at its cap) or `waiting_full` (too many
 * attempts wait already: it waits in Redis instead).
 */
export const HAND_OFF_REASONS = ['detached', 'destination_busy', 'waiting_full'] as const;
export type HandOffReason = (typeof HAND_OFF_REASONS)[number];

/**
 * Label values defined outside this folder (which imports no registry or delivery code), given by
 * the composition root (src/lifecycle/metric-labels.ts) so that their series start at 0 too.
 */
export interface KnownLabelValues {
  /** Every fired event: the `event` label of the deliveries and retries counters. */
  readonly events: readonly string[];
  /** Every state a destination's circuit moves to. */
  readonly circuitStates: readonly string[];
  /** How a webhook test ends. */
  readonly webhookTestOutcomes: readonly string[];
}

/** What the delivery engine reports on every scrape. */
export interface EngineStats {
  readonly inFlight: { readonly inline: number; readonly detached: number; readonly oldestDetachedSeconds: number };
  /** Destinations by circuit state; `slow` counts closed ones currently slow. */
  readonly destinations: Readonly<Record<'closed' | 'slow' | 'open' | 'half_open', number>>;
}

export interface Metrics {
  readonly registry: Registry;
  readonly eventsConsumed: Counter<'outcome'>;
  readonly deliveries: Counter<'event' | 'outcome'>;
  readonly attemptDuration: Histogram<'outcome'>;
  readonly retriesScheduled: Counter<'event'>;
  readonly resultsOmitted: Counter<string>;
  readonly signingFailures: Counter<string>;
  readonly deliveriesParked: Counter<'reason'>;
  /** Time from an event's enqueueing to its first-attempt deliveries' success. */
  readonly eventToDelivery: Histogram<string>;
  /** Time a handed-off delivery waited on the deliveries queue before its attempt. */
  readonly handOffWait: Histogram<string>;
  readonly attemptsInFlight: Gauge<'path'>;
  readonly oldestDetachedAge: Gauge<string>;
  readonly destinations: Gauge<'state'>;
  readonly invalidDeliveryJobs: Counter<string>;
  readonly circuitTransitions: Counter<'state'>;
  readonly webhookTests: Counter<'outcome'>;
  readonly queueJobs: Gauge<'queue' | 'state'>;
  readonly queueOldestAge: Gauge<'queue'>;
  /** Jobs waiting on an events queue of the prefix that no worker consumes, by queue (set by the worker's queue check). */
  readonly unconsumedQueueJobs: Gauge<'queue'>;
  /** Registers the engine's scrape-time figures (worker and local processes). */
  setEngineStats(read: () => EngineStats): void;
}

/** Counts of one queue, read when Prometheus scrapes. */
export interface QueueSnapshot {
  readonly queue: string;
  /** Jobs per BullMQ state (waiting, active, delayed, failed, ...). */
  readonly counts: Readonly<Record<string, number>>;
  /** Age of the oldest waiting job in seconds; 0 when none waits. */
  readonly oldestWaitingAgeSeconds: number;
}

export interface MetricsOptions {
  /** Also collect Node's default process metrics (prefixed `hookpost_`). Default true. */
  readonly defaultMetrics?: boolean;
  /** Reads the queues on every scrape (worker and API processes); absent: the queue gauges stay empty. */
  readonly readQueues?: () => Promise<readonly QueueSnapshot[]>;
  /** Label values from other folders whose series start at 0 (processes pass `KNOWN_LABEL_VALUES`). */
  readonly labelValues?: KnownLabelValues;
}

/**
 * Registers every hookpost metric on `registry`. Call once per registry. Every labelled counter (and
 * the attempt duration histogram) starts at 0 for each of its known label values, so that
 * `increase()` and `rate()` see the first event: a series that appears at 1 has no earlier sample
 * to grow from, and an alert on it would wait for the second.
 */
export function createMetrics(registry: Registry, options: MetricsOptions = {}): Metrics {
  const metrics = registerMetrics(registry, options);
  const labels = options.labelValues;
  for (const outcome of EVENT_OUTCOMES) metrics.eventsConsumed.inc({ outcome }, 0);
  for (const event of labels?.events ?? []) {
    for (const outcome of DELIVERY_OUTCOMES) metrics.deliveries.inc({ event, outcome }, 0);
    metrics.retriesScheduled.inc({ event }, 0);
  }
  for (const outcome of ATTEMPT_RESULTS) metrics.attemptDuration.zero({ outcome });
  for (const reason of HAND_OFF_REASONS) metrics.deliveriesParked.inc({ reason }, 0);
  for (const state of labels?.circuitStates ?? []) metrics.circuitTransitions.inc({ state }, 0);
  for (const outcome of labels?.webhookTestOutcomes ?? []) metrics.webhookTests.inc({ outcome }, 0);
  return metrics;
}

function registerMetrics(registry: Registry, options: MetricsOptions): Metrics {
  const registers = [registry];
  const { readQueues } = options;
  // One read serves both queue gauges of a scrape.
  let snapshot: Promise<readonly QueueSnapshot[]> | undefined;
  const readOnce = () => {
    if (!readQueues) return Promise.resolve([]);
    snapshot ??= readQueues()
      .catch(() => [])
      .finally(() => {
        setImmediate(() => {
          snapshot = undefined;
        });
      });
    return snapshot;
  };
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'hookpost_' });
  let readEngine: (() => EngineStats) | undefined;
  return {
    setEngineStats(read) {
      readEngine = read;
    },
    registry,
    eventsConsumed: new Counter({
      name: 'hookpost_events_consumed_total',
      help: 'Producer events consumed, by outcome (matched, unmatched, invalid).',
      labelNames: ['outcome'],
      registers,
    }),
    deliveries: new Counter({
      name: 'hookpost_deliveries_total',
      help: `Deliveries by fired event and outcome (${DELIVERY_OUTCOMES.join(', ')}).`,
      labelNames: ['event', 'outcome'],
      registers,
    }),
    attemptDuration: new Histogram({
      name: 'hookpost_delivery_attempt_duration_seconds',
      help: `Duration of one delivery attempt (connect, send, response), by outcome (${ATTEMPT_RESULTS.join(', ')}).`,
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    retriesScheduled: new Counter({
      name: 'hookpost_delivery_retries_total',
      help: 'Retries scheduled after a failed attempt, by fired event.',
      labelNames: ['event'],
      registers,
    }),
    resultsOmitted: new Counter({
      name: 'hookpost_results_omitted_total',
      help: 'Payloads whose request result was left out because it exceeded 16 kB.',
      registers,
    }),
    signingFailures: new Counter({
      name: 'hookpost_signing_failures_total',
      help: 'Deliveries that could not be signed.',
      registers,
    }),
    deliveriesParked: new Counter({
      name: 'hookpost_deliveries_parked_total',
      help: 'Deliveries handed off the fast path, by reason (detached, destination_busy, waiting_full).',
      labelNames: ['reason'],
      registers,
    }),
    eventToDelivery: new Histogram({
      name: 'hookpost_event_to_delivery_seconds',
      help: "Time from an event's enqueueing to the success of a first attempt (the latency healthy receivers see).",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    handOffWait: new Histogram({
      name: 'hookpost_handoff_wait_seconds',
      help: 'Time a handed-off delivery waited on the deliveries queue before its attempt started.',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800],
      registers,
    }),
    attemptsInFlight: new Gauge({
      name: 'hookpost_attempts_in_flight',
      help: 'Attempts in flight, by path (inline: holding a job slot; detached: waiting on a slow receiver without one).',
      labelNames: ['path'],
      registers,
      collect() {
        const stats = readEngine?.();
        if (!stats) return;
        this.set({ path: 'inline' }, stats.inFlight.inline);
        this.set({ path: 'detached' }, stats.inFlight.detached);
      },
    }),
    oldestDetachedAge: new Gauge({
      name: 'hookpost_detached_oldest_age_seconds',
      help: 'Age of the oldest detached attempt (waiting on a slow receiver), in seconds.',
      registers,
      collect() {
        const stats = readEngine?.();
        if (stats) this.set(stats.inFlight.oldestDetachedSeconds);
      },
    }),
    destinations: new Gauge({
      name: 'hookpost_destinations',
      help: 'Destinations (origins) this process knows, by state (closed, slow, open, half_open).',
      labelNames: ['state'],
      registers,
      collect() {
        const stats = readEngine?.();
        if (!stats) return;
        for (const [state, count] of Object.entries(stats.destinations)) this.set({ state }, count);
      },
    }),
    invalidDeliveryJobs: new Counter({
      name: 'hookpost_delivery_jobs_invalid_total',
      help: 'Jobs on the deliveries queue failed at once because their data is unreadable or invalid.',
      registers,
    }),
    circuitTransitions: new Counter({
      name: 'hookpost_circuit_transitions_total',
      help: 'Destination circuit breaker transitions, by new state (open, half_open, closed).',
      labelNames: ['state'],
      registers,
    }),
    webhookTests: new Counter({
      name: 'hookpost_webhook_tests_total',
      help: 'Webhook tests finished, by outcome (completed, failed).',
      labelNames: ['outcome'],
      registers,
    }),
    queueJobs: new Gauge({
      name: 'hookpost_queue_jobs',
      help: 'Jobs per queue and state (waiting, active, delayed, failed, ...), read on scrape.',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const q of await readOnce()) {
          for (const [state, count] of Object.entries(q.counts)) this.set({ queue: q.queue, state }, count);
        }
      },
    }),
    queueOldestAge: new Gauge({
      name: 'hookpost_queue_oldest_waiting_age_seconds',
      help: 'Age of the oldest waiting job per queue, read on scrape.',
      labelNames: ['queue'],
      registers,
      async collect() {
        this.reset();
        for (const q of await readOnce()) this.set({ queue: q.queue }, q.oldestWaitingAgeSeconds);
      },
    }),
    unconsumedQueueJobs: new Gauge({
      name: 'hookpost_unconsumed_queue_jobs',
      help: 'Jobs waiting on an events queue of this prefix that no worker consumes (queue: its key prefix and name), from the last queue check.',
      labelNames: ['queue'],
      registers,
    }),
  };
}
