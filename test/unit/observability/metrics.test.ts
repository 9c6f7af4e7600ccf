import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { KNOWN_LABEL_VALUES } from '../../../src/lifecycle/metric-labels.js';
import { createMetrics } from '../../../src/observability/metrics.js';

describe('metrics', () => {
  it('registers every hookpost metric on the registry it is given', async () => {
    const registry = new Registry();
    createMetrics(registry, { defaultMetrics: false });
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name).sort();
    expect(names).toEqual([
      'hookpost_attempts_in_flight',
      'hookpost_circuit_transitions_total',
      'hookpost_deliveries_parked_total',
      'hookpost_deliveries_total',
      'hookpost_delivery_attempt_duration_seconds',
      'hookpost_delivery_jobs_invalid_total',
      'hookpost_delivery_retries_total',
      'hookpost_destinations',
      'hookpost_detached_oldest_age_seconds',
      'hookpost_event_to_delivery_seconds',
      'hookpost_events_consumed_total',
      'hookpost_handoff_wait_seconds',
      'hookpost_queue_jobs',
      'hookpost_queue_oldest_waiting_age_seconds',
      'hookpost_results_omitted_total',
      'hookpost_signing_failures_total',
      'hookpost_unconsumed_queue_jobs',
      'hookpost_webhook_tests_total',
    ]);
  });

  it('a fresh registry exports every labelled counter at 0 for each known label value (increase() then sees the first event)', async () => {
    const registry = new Registry();
    // As the processes make it (src/lifecycle/services.ts).
    createMetrics(registry, { defaultMetrics: false, labelValues: KNOWN_LABEL_VALUES });
    const text = await registry.metrics();
    const zeros = text.split('\n').filter((line) => /^hookpost_[a-z_]+\{.*\} 0$/.test(line));
    for (const outcome of ['matched', 'unmatched', 'invalid']) expect(zeros).toContain(`hookpost_events_consumed_total{outcome="${outcome}"} 0`);
    const events = ['deployment', 'pipeline'].flatMap((type) => ['started', 'completed', 'failed', 'finished'].map((s) => `${type}_request_${s}`));
    for (const event of events) {
      for (const outcome of ['success', 'failed', 'retrying', 'refused', 'skipped']) {
        expect(zeros).toContain(`hookpost_deliveries_total{event="${event}",outcome="${outcome}"} 0`);
      }
      expect(zeros).toContain(`hookpost_delivery_retries_total{event="${event}"} 0`);
    }
    for (const reason of ['detached', 'destination_busy', 'waiting_full']) expect(zeros).toContain(`hookpost_deliveries_parked_total{reason="${reason}"} 0`);
    for (const state of ['open', 'half_open', 'closed']) expect(zeros).toContain(`hookpost_circuit_transitions_total{state="${state}"} 0`);
    for (const outcome of ['completed', 'failed']) expect(zeros).toContain(`hookpost_webhook_tests_total{outcome="${outcome}"} 0`);
    for (const outcome of ['success', 'failure']) {
      expect(zeros).toContain(`hookpost_delivery_attempt_duration_seconds_count{outcome="${outcome}"} 0`);
      expect(zeros).toContain(`hookpost_delivery_attempt_duration_seconds_bucket{le="+Inf",outcome="${outcome}"} 0`);
    }
    // Unlabelled counters start at 0 by themselves; and no counter of the registry is left without a series.
    for (const name of ['hookpost_signing_failures_total', 'hookpost_results_omitted_total', 'hookpost_delivery_jobs_invalid_total']) {
      expect(text).toContain(`\n${name} 0\n`);
    }
    const counters = (await registry.getMetricsAsJSON()).filter((metric) => String(metric.type) === 'counter');
    expect(counters.length).toBeGreaterThanOrEqual(9);
    for (const counter of counters) expect(counter.values.length, counter.name).toBeGreaterThan(0);
  });

  it('reads the queues once per scrape for both queue gauges', async () => {
    const registry = new Registry();
    let reads = 0;
    createMetrics(registry, {
      defaultMetrics: false,
      readQueues: async () => {
        reads++;
        return [{ queue: 'events', counts: { waiting: 3, active: 1 }, oldestWaitingAgeSeconds: 2.5 }];
      },
    });
    const text = await registry.metrics();
    expect(text).toContain('hookpost_queue_jobs{queue="events",state="waiting"} 3');
    expect(text).toContain('hookpost_queue_oldest_waiting_age_seconds{queue="events"} 2.5');
    expect(reads).toBe(1);
  });

  it('a failing queue read leaves the gauges empty instead of failing the scrape', async () => {
    const registry = new Registry();
    createMetrics(registry, { defaultMetrics: false, readQueues: async () => Promise.reject(new Error('redis down')) });
    await expect(registry.metrics()).resolves.toContain('# TYPE hookpost_queue_jobs gauge');
  });
});
