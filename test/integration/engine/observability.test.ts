/**
 * End to end: the Prometheus text after real deliveries (names, bounded labels, queue
 * gauges read on scrape) and the logs (one line per attempt, with its fields, and no secrets or
 * bodies).
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import {
  eventually,
  metricValue,
  requestEvent,
  startTestEngine,
  type TestEngine,
} from '../../helpers/engine.js';
import { type Receiver, startReceiver } from '../../helpers/index.js';

const PROTECTED = 'protected-header-value-91';
const PLAIN = 'plain-header-value-33';
const RESULT_MARKER = 'result-body-marker-55';
const RESPONSE_MARKER = 'response-body-marker-77';

describe('observability after real deliveries', () => {
  let t: TestEngine;
  let receiver: Receiver;
  let flakyCalls: number;
  const requestIds = ['obs-req-1', 'obs-req-2'];

  beforeEach(async () => {
    t = await startTestEngine(inject('redisUrl'));
    flakyCalls = 0;
    receiver = await startReceiver((req) => ({
      status: req.path === '/flaky' && ++flakyCalls === 1 ? 500 : 200,
      body: `${RESPONSE_MARKER} ${'r'.repeat(2_000)}`,
    }));
    await t.createWebhook({
      url: `${receiver.url}/ok?token=url-secret-12`,
      object_name: 'obs-model',
      include_result: true,
      headers: [
        { key: 'X-Api-Key', value: PROTECTED, protected: true },
        { key: 'X-Plain', value: PLAIN },
      ],
    });
    await t.createWebhook({
      url: `${receiver.url}/flaky`,
      object_name: 'obs-model',
      event: 'deployment_request_finished',
      retry: true,
      include_result: true,
    });
    await t.producer.publish(
      requestEvent({ request_id: requestIds[0], object_name: 'obs-model', result: { secret: RESULT_MARKER } }),
    );
    await t.publishSettled(requestEvent({ request_id: requestIds[1], object_name: 'nobody-listens' }));
    // Two first attempts and one retry.
    await receiver.waitForRequests(3);
    await eventually(
      async () => (await metricValue(t, 'hookpost_deliveries_total', { outcome: 'success' })) === 2,
      5_000,
      'both deliveries to succeed',
    );
  });
  afterEach(async () => {
    await t.close();
    await receiver.close();
  });

  it('the metrics text has deliveries, attempt durations, events consumed and queue gauges', async () => {
    // A delayed job shows that queue gauges are read when scraped.
    await t.eventsQueue.add('later', requestEvent(), { delay: 60_000, jobId: 'obs-delayed' });
    const text = await t.services.metricsRegistry.metrics();
    const line = (series: string) => {
      const found = text.split('\n').find((l) => l.startsWith(`${series} `));
      if (!found) throw new Error(`no ${series} in the metrics text`);
      return Number(found.slice(series.length + 1));
    };
    expect(line('hookpost_deliveries_total{event="deployment_request_completed",outcome="success"}')).toBe(1);
    expect(line('hookpost_deliveries_total{event="deployment_request_finished",outcome="retrying"}')).toBe(1);
    expect(line('hookpost_deliveries_total{event="deployment_request_finished",outcome="success"}')).toBe(1);
    expect(line('hookpost_delivery_retries_total{event="deployment_request_finished"}')).toBe(1);
    expect(line('hookpost_delivery_attempt_duration_seconds_count{outcome="success"}')).toBe(2);
    expect(line('hookpost_delivery_attempt_duration_seconds_count{outcome="failure"}')).toBe(1);
    expect(line('hookpost_delivery_attempt_duration_seconds_bucket{le="+Inf",outcome="success"}')).toBe(2);
    expect(line('hookpost_delivery_attempt_duration_seconds_sum{outcome="success"}')).toBeGreaterThan(0);
    expect(text).toContain('# TYPE hookpost_delivery_attempt_duration_seconds histogram');
    expect(line('hookpost_events_consumed_total{outcome="matched"}')).toBe(1);
    expect(line('hookpost_events_consumed_total{outcome="unmatched"}')).toBe(1);
    expect(line('hookpost_queue_jobs{queue="events",state="waiting"}')).toBe(0);
    expect(line('hookpost_queue_jobs{queue="events",state="delayed"}')).toBe(1);
    expect(line('hookpost_queue_jobs{queue="events",state="completed"}')).toBe(2);
    expect(line('hookpost_queue_jobs{queue="deliveries",state="waiting"}')).toBe(0);
    expect(text).toContain('hookpost_queue_oldest_waiting_age_seconds{queue="events"}');

    // Labels stay bounded: no URL, header value, id, project or object name in any of them.
    const labelValues = [...text.matchAll(/\{([^}]*)\}/g)].flatMap((m) =>
      [...(m[1] ?? '').matchAll(/="((?:[^"\\]|\\.)*)"/g)].map((v) => v[1] ?? ''),
    );
    expect(labelValues.length).toBeGreaterThan(10);
    const ids = [
      ...receiver.requests.map((r) => String(r.headers['hookpost-delivery-id'])),
      ...(await t.services.registry.list('demo')).map((w) => w.id),
    ];
    const forbidden = [receiver.url, String(receiver.port), '127.0.0.1', 'http', PROTECTED, PLAIN, 'url-secret-12', 'obs-model', 'nobody-listens', 'demo', ...requestIds, ...ids];
    for (const value of labelValues) {
      for (const f of forbidden) expect(value, `label value "${value}"`).not.toContain(f);
      expect(value).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    }
    for (const f of [receiver.url, PROTECTED, PLAIN, 'url-secret-12', ...requestIds, ...ids]) expect(text).not.toContain(f);
  });

  it('one "delivery attempted" line per attempt, with its fields, and never a secret or a body', async () => {
    const lines = t.logs.filter((l) => l.msg === 'delivery attempted');
    expect(lines).toHaveLength(receiver.requests.length);
    expect(lines).toHaveLength(3);
    const webhooks = await t.services.registry.list('demo');
    for (const l of lines) {
      expect(l).toEqual(
        expect.objectContaining({
          deliveryId: expect.stringMatching(/^[0-9a-f-]{36}$/),
          webhookId: expect.any(String),
          attempt: expect.any(Number),
          outcome: expect.stringMatching(/^(delivered|failed)$/),
          status: expect.any(Number),
          durationMs: expect.any(Number),
        }),
      );
      expect(webhooks.map((w) => w.id)).toContain(l.webhookId);
      expect(l.durationMs).toBeGreaterThanOrEqual(0);
    }
    // Lines and requests match one to one: (delivery id, attempt) pairs.
    const fromLogs = lines.map((l) => `${l.deliveryId}#${l.attempt}`).sort();
    const seen = new Map<string, number>();
    const fromRequests = receiver.requests
      .map((r) => {
        const id = String(r.headers['hookpost-delivery-id']);
        const n = (seen.get(id) ?? 0) + 1;
        seen.set(id, n);
        return `${id}#${n}`;
      })
      .sort();
    expect(fromLogs).toEqual(fromRequests);
    const flaky = lines.filter((l) => l.webhookId === webhooks.find((w) => w.url.endsWith('/flaky'))?.id);
    expect(flaky.map((l) => [l.attempt, l.outcome, l.status, l.errorCode])).toEqual([
      [1, 'failed', 500, 'HTTP_500'],
      [2, 'delivered', 200, undefined],
    ]);

    // Every delivery line names its delivery.
    for (const l of t.logs.filter((x) => String(x.msg).startsWith('delivery '))) expect(l.deliveryId).toBeTypeOf('string');

    const text = t.logText();
    for (const secret of [PROTECTED, RESULT_MARKER, RESPONSE_MARKER, 'url-secret-12']) expect(text).not.toContain(secret);
    // Payload bytes never appear in logs.
    for (const r of receiver.requests) expect(text).not.toContain(r.body.toString());
  });
});
