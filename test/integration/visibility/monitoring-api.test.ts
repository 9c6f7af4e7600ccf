/**
 * The API the monitoring page reads (issue 21, point 3), over real HTTP on the real engine:
 * per-webhook figures aggregated from the attempt log (exact counts, nearest-rank p50/p99, buckets,
 * what is not counted), the list's webhook_id and until filters, the rebuilt request of a delivery,
 * the token's scope, and every answer checked against the schemas of the served OpenAPI document.
 */
import { randomUUID } from 'node:crypto';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { type AttemptRecord, DEFAULT_RETENTION, createAttemptLogWriter } from '../../../src/attempts/index.js';
import { requestEvent } from '../../helpers/engine.js';
import { type Stack, TEST_TOKEN as TOKEN, useStack } from '../../helpers/app.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

/** Writes attempts straight into the attempt log, as a worker would, with chosen times and durations. */
async function writeAttempts(s: Stack, records: ReadonlyArray<Partial<AttemptRecord> & Pick<AttemptRecord, 'webhookId' | 'startedAt' | 'durationMs' | 'outcome'>>) {
  const { redis, keys, logger } = s.t.services;
  const log = createAttemptLogWriter({ redis, keys, logger, ...DEFAULT_RETENTION });
  for (const r of records) {
    log.record({
      deliveryId: randomUUID(),
      project: 'demo',
      event: 'deployment_request_completed',
      requestId: `req-${randomUUID().slice(0, 8)}`,
      attempt: 1,
      ...r,
    });
  }
  await log.close();
}

/** Checks a body against the schema the served document declares for the operation. */
async function documentChecker(s: Stack) {
  const doc = (await (await fetch(`${s.url}/v2.1/openapi.json`)).json()) as {
    components: unknown;
    paths: Record<string, Record<string, { responses: Record<string, { content?: { 'application/json'?: { schema: unknown } } }> }>>;
  };
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat('date-time', { type: 'string', validate: (v: string) => !Number.isNaN(Date.parse(v)) });
  ajv.addFormat('uuid', /^[0-9a-f-]{36}$/);
  ajv.addSchema({ $id: 'doc', components: doc.components });
  return (template: string, body: unknown) => {
    const schema = doc.paths[template]?.get?.responses['200']?.content?.['application/json']?.schema;
    expect(schema, `${template} documents its 200 answer`).toBeDefined();
    const validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')));
    expect(validate(body), `${template}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  };
}

describe('the monitoring API', () => {
  const { stack } = useStack();

  it('aggregates success rate and p50/p99 per webhook over the last hour and day from the attempt log', async () => {
    const s = await stack();
    const created = await s.call('POST', '/v2.1/projects/demo/webhooks', {
      name: 'measured',
      url: 'https://receiver.example/m',
      object_type: 'deployment',
      object_name: 'model',
      event: 'deployment_request_completed',
    });
    expect(created.status).toBe(201);
    const webhookId: string = created.json.id;
    const now = Date.now();
    await writeAttempts(s, [
      // The last hour: 10 sent attempts of 10, 20, ... 100 ms, two of them failed.
      ...Array.from({ length: 10 }, (_, i) => ({
        webhookId,
        startedAt: now - 28 * MIN + i * 1000,
        durationMs: (i + 1) * 10,
        outcome: (i === 3 || i === 7 ? 'failed' : 'success') as AttemptRecord['outcome'],
      })),
      // Not counted: not sent (circuit open) and skipped.
      { webhookId, startedAt: now - 20 * MIN, durationMs: 0, outcome: 'failed', errorCode: 'CIRCUIT_OPEN' },
      { webhookId, startedAt: now - 20 * MIN, durationMs: 0, outcome: 'skipped', errorCode: 'WEBHOOK_DISABLED' },
      // Nearly two hours ago: in the day only. Two days ago: in neither.
      { webhookId, startedAt: now - 2 * HOUR + 10 * MIN, durationMs: 500, outcome: 'retrying', errorCode: 'TIMEOUT' },
      { webhookId, startedAt: now - 48 * HOUR, durationMs: 9_000, outcome: 'failed' },
      // Another webhook's attempts stay its own.
      { webhookId: randomUUID(), startedAt: now - MIN, durationMs: 7_000, outcome: 'failed' },
    ]);

    const res = await s.call('GET', '/v2.1/projects/demo/webhooks-stats');
    expect(res.status).toBe(200);
    (await documentChecker(s))('/v2.1/projects/{project_name}/webhooks-stats', res.json);
    expect(res.json.webhooks).toHaveLength(1);
    const stats = res.json.webhooks[0];
    expect(stats).toMatchObject({ webhook_id: webhookId, webhook_name: 'measured' });
    expect(Date.parse(stats.oldest_kept_at)).toBe(now - 48 * HOUR + 9_000);
    const [hour, day] = stats.windows;
    expect(hour).toMatchObject({ window: '1h', bucket_seconds: 300, attempts: 10, successes: 8, success_rate: 0.8, p50_ms: 50, p99_ms: 100 });
    expect(day).toMatchObject({ window: '24h', bucket_seconds: 3600, attempts: 11, successes: 8, success_rate: 0.727, p50_ms: 60, p99_ms: 500 });
    expect(hour.buckets).toHaveLength(12);
    expect(day.buckets).toHaveLength(24);
    // 28 minutes ago is bucket 6 of the hour (buckets of 5 minutes from an hour ago).
    expect(hour.buckets[6]).toMatchObject({ attempts: 10, successes: 8 });
    expect(hour.buckets.reduce((n: number, b: { attempts: number }) => n + b.attempts, 0)).toBe(10);
    expect(day.buckets[22]).toMatchObject({ attempts: 1, successes: 0, success_rate: 0, p50_ms: 500, p99_ms: 500 });
    expect(day.buckets[23]).toMatchObject({ attempts: 10 });
    expect(day.buckets[0]).toEqual({ start: day.from, attempts: 0, successes: 0, success_rate: null, p50_ms: null, p99_ms: null });

    const one = await s.call('GET', `/v2.1/projects/demo/webhooks-stats?webhook_id=${webhookId}`);
    expect(one.json.webhooks.map((w: { webhook_id: string }) => w.webhook_id)).toEqual([webhookId]);
    expect((await s.call('GET', `/v2.1/projects/demo/webhooks-stats?webhook_id=${randomUUID()}`)).status).toBe(404);
    const bad = await s.call('GET', '/v2.1/projects/demo/webhooks-stats?webhook_id=nope');
    expect(bad).toEqual({ status: 400, json: { error: 'webhook_id: must be a webhook id (a UUID, as webhooks-overview lists them)' } });
  });

  it('filters deliveries by webhook_id and until, and names a wrong filter', async () => {
    const s = await stack();
    const up42 = await s.call('POST', '/workspaces/demo/webhooks', { name: 'Wide hook', url: 'https://receiver.example/w', events: ['deployment_request_completed'] });
    expect(up42.status).toBe(201);
    const wideId: string = up42.json.data.id;
    const now = Date.now();
    await writeAttempts(s, [
      { webhookId: wideId, startedAt: now - 10 * MIN, durationMs: 5, outcome: 'success', requestId: 'wide-old' },
      { webhookId: wideId, startedAt: now - MIN, durationMs: 5, outcome: 'success', requestId: 'wide-new' },
      { webhookId: randomUUID(), startedAt: now - 5 * MIN, durationMs: 5, outcome: 'success', requestId: 'other' },
    ]);
    const ids = async (query: string) =>
      ((await s.call('GET', `/v2.1/projects/demo/deliveries?${query}`)).json.items as Array<{ request_id: string }>).map((d) => d.request_id);
    expect(await ids(`webhook_id=${wideId}`)).toEqual(['wide-new', 'wide-old']);
    expect(await ids(`until=${new Date(now - 2 * MIN).toISOString()}`)).toEqual(['other', 'wide-old']);
    expect(await ids(`webhook_id=${wideId}&until=${new Date(now - 2 * MIN).toISOString()}`)).toEqual(['wide-old']);
    expect(await ids(`since=${new Date(now - 6 * MIN).toISOString()}&until=${new Date(now - 2 * MIN).toISOString()}`)).toEqual(['other']);
    // Pages under until go on from the cursor.
    const first = await s.call('GET', `/v2.1/projects/demo/deliveries?limit=1&until=${new Date(now).toISOString()}`);
    expect(first.json.items.map((d: { request_id: string }) => d.request_id)).toEqual(['wide-new']);
    const second = await s.call('GET', `/v2.1/projects/demo/deliveries?limit=5&until=${new Date(now).toISOString()}&cursor=${first.json.next_cursor}`);
    expect(second.json.items.map((d: { request_id: string }) => d.request_id)).toEqual(['other', 'wide-old']);

    expect(await s.call('GET', '/v2.1/projects/demo/deliveries?until=yesterday')).toEqual({
      status: 400,
      json: { error: 'until: must be an ISO-8601 date-time such as 2026-01-05T11:00:00Z' },
    });
    expect((await s.call('GET', `/v2.1/projects/demo/deliveries?webhook=x&webhook_id=${wideId}`)).json).toEqual({
      error: 'webhook_id: give either webhook or webhook_id, not both',
    });
  });

  it("rebuilds a delivery's request: URL, headers with protected values null, payload; says when the payload is not exact", async () => {
    const s = await stack();
    const created = await s.call('POST', '/v2.1/projects/demo/webhooks', {
      name: 'rebuilt',
      url: 'https://receiver.example/r?x=1',
      object_type: 'deployment',
      object_name: 'model',
      event: 'deployment_request_completed',
      include_result: true,
      headers: [
        { key: 'Authorization', value: 'Bearer hidden-value-0042', protected: true },
        { key: 'X-Plain', value: 'shown', protected: false },
      ],
      secret: 'a-webhook-secret-0123456789',
    });
    expect(created.status).toBe(201);
    const webhookId: string = created.json.id;
    const small = randomUUID();
    const large = randomUUID();
    const { redis, keys, logger } = s.t.services;
    const log = createAttemptLogWriter({ redis, keys, logger, ...DEFAULT_RETENTION });
    const base = { project: 'demo', webhookId, event: 'deployment_request_completed' as const, attempt: 1, startedAt: Date.now(), durationMs: 4, outcome: 'success' as const };
    log.record({ ...base, deliveryId: small, requestId: 'small' }, requestEvent({ request_id: 'small', result: { label: 'positive' } }) as never);
    log.record({ ...base, deliveryId: large, requestId: 'large' }, requestEvent({ request_id: 'large', result: { blob: 'z'.repeat(6_000) } }) as never);
    await log.close();

    const check = await documentChecker(s);
    const exact = await s.call('GET', `/v2.1/projects/demo/deliveries/${small}/request`);
    expect(exact.status).toBe(200);
    check('/v2.1/projects/{project_name}/deliveries/{delivery_id}/request', exact.json);
    expect(exact.json).toMatchObject({ method: 'POST', url: 'https://receiver.example/r?x=1', body_exact: true });
    const headers = Object.fromEntries(exact.json.headers.map((h: { name: string; value: string | null; source: string }) => [h.name, [h.value, h.source]]));
    expect(headers).toMatchObject({
      authorization: [null, 'protected'],
      'x-plain': ['shown', 'webhook'],
      'content-type': ['application/json', 'hookpost'],
      'hookpost-delivery-id': [small, 'hookpost'],
      'webhook-id': [small, 'hookpost'],
      signature: [null, 'per_attempt'],
      'webhook-signature': [null, 'per_attempt'],
    });
    expect(headers['content-digest'][0]).toMatch(/^sha-512=:[A-Za-z0-9+/]+=*:$/);
    expect(JSON.parse(exact.json.body)).toMatchObject({ event: 'deployment_request_completed', request_id: 'small', result: { label: 'positive' } });
    expect(JSON.stringify(exact.json)).not.toMatch(/hidden-value-0042|a-webhook-secret/);

    // The log does not keep results over 4 KiB: the rebuilt payload says result_truncated, and says so.
    const truncated = (await s.call('GET', `/v2.1/projects/demo/deliveries/${large}/request`)).json;
    expect(truncated.body_exact).toBe(false);
    expect(JSON.parse(truncated.body)).toMatchObject({ request_id: 'large', result_truncated: true });
    expect(truncated.headers.find((h: { name: string }) => h.name === 'content-digest')).toEqual({ name: 'content-digest', value: null, source: 'per_attempt' });

    expect((await s.call('GET', `/v2.1/projects/demo/deliveries/${randomUUID()}/request`)).status).toBe(404);
  });

  it('lists every webhook with its health for the page, and tells a token its scope', async () => {
    const s = await stack({ HOOKPOST_API_TOKENS: `${TOKEN},customer-token-0123456789=acme` });
    expect((await s.call('POST', '/workspaces/demo/webhooks', { name: 'Wide', url: 'https://receiver.example/w', events: ['pipeline_request_failed'] })).status).toBe(201);
    expect(
      (
        await s.call('POST', '/v2.1/projects/demo/webhooks', {
          name: 'narrow',
          url: 'https://receiver.example/n',
          object_type: 'pipeline',
          object_name: 'flow',
          event: 'pipeline_request_completed',
        })
      ).status,
    ).toBe(201);
    const overview = await s.call('GET', '/v2.1/projects/demo/webhooks-overview');
    (await documentChecker(s))('/v2.1/projects/{project_name}/webhooks-overview', overview.json);
    expect(overview.json.map((w: { name: string; scope: string; readable: boolean }) => [w.name, w.scope, w.readable])).toEqual([
      ['Wide', 'project', true],
      ['narrow', 'object', true],
    ]);
    expect(overview.json[0].health).toMatchObject({ webhook_name: 'Wide', circuit: 'unknown' });

    const scope = async (token: string) =>
      (await fetch(`${s.url}/v2.1/token-scope`, { headers: { authorization: `Token ${token}` } })).json();
    expect(await scope(TOKEN)).toEqual({ projects: null });
    expect(await scope('customer-token-0123456789')).toEqual({ projects: ['acme'] });
    expect((await fetch(`${s.url}/v2.1/token-scope`)).status).toBe(401);
    (await documentChecker(s))('/v2.1/token-scope', await scope('customer-token-0123456789'));
  });
});
