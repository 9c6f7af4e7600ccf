import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
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
      'hookpost_webhook_tests_total',
    ]);
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
