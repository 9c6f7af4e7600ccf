/**
 * A running worker process, after real deliveries, serves on /metrics every metric name that the
 * shipped Grafana dashboard and Prometheus alert rules query, and /healthz and /readyz answer.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createProducer } from '../../../src/events/index.js';
import { createKeys } from '../../../src/redis/index.js';
import { createRegistry } from '../../../src/registry/index.js';
import { requestEvent } from '../../helpers/engine.js';
import { freePort, startReceiver, uniquePrefix } from '../../helpers/index.js';
import { queriedMetricNames } from '../../helpers/metric-names.js';
import { spawnWorker, writeSigningKey } from '../../helpers/processes.js';

describe('worker /metrics', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('serves every metric the dashboard and alerts query', async () => {
    const receiver = await startReceiver((_req, n) => ({ status: n % 3 === 0 ? 500 : 204 }));
    cleanups.push(() => receiver.close());
    const prefix = uniquePrefix('m');
    const redis = new Redis(inject('redisUrl'));
    cleanups.push(() => redis.quit());
    await createRegistry({ redis, keys: createKeys(prefix) }).create('demo', {
      name: 'hook',
      url: `${receiver.url}/hook`,
      object_type: 'deployment',
      object_name: 'model',
      version: 'v1',
      event: 'deployment_request_completed',
      retry: true,
    });
    const port = await freePort();
    const worker = spawnWorker('worker', {
      HOOKPOST_REDIS_URL: inject('redisUrl'),
      HOOKPOST_PREFIX: prefix,
      HOOKPOST_SIGNING_KEY_FILE: writeSigningKey().path,
      HOOKPOST_ALLOW_HTTP: 'true',
      HOOKPOST_ALLOW_PRIVATE_TARGETS: 'true',
      HOOKPOST_METRICS_PORT: String(port),
      HOOKPOST_API_HOST: '127.0.0.1',
      HOOKPOST_RETRY_SCHEDULE: '100ms',
    });
    cleanups.push(() => worker.proc.kill('SIGKILL'));
    await worker.waitForLog((l) => l.msg === 'engine started');
    const producer = createProducer({ redis, prefix });
    await producer.publishMany(Array.from({ length: 6 }, () => requestEvent()));
    await receiver.waitForRequests(8);

    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const text = await (await fetch(`${base}/metrics`)).text();
    const served = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    const missing = queriedMetricNames().filter((name) => !served.has(name));
    expect(missing).toEqual([]);
    expect(text).toMatch(/hookpost_deliveries_total\{event="deployment_request_completed",outcome="success"\} [1-9]/);
    expect(text).toMatch(/hookpost_queue_jobs\{queue="events",state="waiting"\} \d+/);
    worker.proc.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });
});
