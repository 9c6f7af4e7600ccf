/**
 * Webhook tests (POST /webhooks-tests) end to end below the API: a stored test is queued, the
 * deliveries worker sends a signed dummy event of the requested kind with the test's headers, and
 * the test ends `completed` or `failed` with the same messages as deliveries.
 */
import { describe, expect, it } from 'vitest';
import { enqueueWebhookTest } from '../../../src/queue/enqueue.js';
import type { WebhookTestCreate, WebhookTestDetail } from '../../../src/registry/index.js';
import type { WebhookEvent } from '../../../src/registry/model.js';
import {
  bodyOf,
  eventually,
  metricValue,
  type TestEngine,
  useTestScope,
  verifyRecorded,
} from '../../helpers/engine.js';
import { freePort, type Receiver, type Reply, startReceiver } from '../../helpers/index.js';

const PROTECTED = 'Token webhook-test-secret-0042';

describe('webhook tests', () => {
  const { defer, engine } = useTestScope();
  const receiver = async (replies: Reply[] = [{ status: 204 }]): Promise<Receiver> => {
    const r = await startReceiver((_req, n) => replies[n] ?? replies[replies.length - 1] ?? {});
    defer(() => r.close());
    return r;
  };
  /** Stores and queues a test, as the API does. */
  const runTest = async (t: TestEngine, input: Partial<WebhookTestCreate> & { url: string }) => {
    const created = await t.services.webhookTests.create('demo', {
      object_type: 'deployment',
      object_name: 'model',
      event: 'deployment_request_completed',
      version: 'v1',
      ...input,
    });
    expect(created).toEqual({ id: created.id, status: 'pending', error_message: null });
    await enqueueWebhookTest(t.services, 'demo', created.id);
    return created.id;
  };
  const finished = (t: TestEngine, id: string, timeoutMs = 30_000): Promise<WebhookTestDetail> =>
    eventually(
      async () => {
        const detail = await t.services.webhookTests.get('demo', id);
        return detail && detail.status !== 'pending' ? detail : undefined;
      },
      timeoutMs,
      `webhook test ${id} to finish`,
    );

  it('a 204 completes the test; the receiver got a signed dummy event with the test headers', async () => {
    const t = await engine();
    const r = await receiver();
    const id = await runTest(t, {
      url: `${r.url}/test?via=hookpost`,
      headers: [
        { key: 'X-Test', value: 'abc' },
        { key: 'Authorization', value: PROTECTED, protected: true },
      ],
    });
    expect(await finished(t, id)).toEqual({ id, status: 'completed', error_message: null });
    expect(r.requests).toHaveLength(1);
    const [request] = r.requests;
    if (!request) throw new Error('no request');
    expect(await verifyRecorded(request, t.publicKeyPem)).toMatchObject({ ok: true });
    expect(request.path).toBe('/test?via=hookpost');
    expect(request.headers['x-test']).toBe('abc');
    expect(request.headers.authorization).toBe(PROTECTED);
    expect(request.headers['hookpost-delivery-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(bodyOf(request)).toMatchObject({
      event: 'deployment_request_completed',
      deployment_name: 'model',
      deployment_version_name: 'v1',
      status: 'completed',
      text: expect.stringMatching(/^Deployment request \S+ completed for deployment model v1 in project demo$/),
    });
    expect(bodyOf(request)).not.toHaveProperty('result');
    expect(await metricValue(t, 'hookpost_webhook_tests_total', { outcome: 'completed' })).toBe(1);
    expect(t.logText()).not.toContain(PROTECTED);
    // A test is not a delivery: nothing to re-drive.
    expect(await t.services.deadLetters.list('demo')).toEqual([]);
  });

  it('the dummy event is of the requested kind, deployment or pipeline', async () => {
    const t = await engine();
    const r = await receiver();
    const kinds: Array<{ event: WebhookEvent; status: string }> = [
      { event: 'deployment_request_started', status: 'processing' },
      { event: 'deployment_request_failed', status: 'failed' },
      { event: 'deployment_request_finished', status: 'completed' },
      { event: 'pipeline_request_started', status: 'processing' },
      { event: 'pipeline_request_completed', status: 'completed' },
    ];
    const ids = new Map<string, (typeof kinds)[number]>();
    for (const kind of kinds) {
      const id = await runTest(t, {
        url: `${r.url}/${kind.event}`,
        event: kind.event,
        object_type: kind.event.startsWith('pipeline') ? 'pipeline' : 'deployment',
        include_result: true,
      });
      ids.set(id, kind);
    }
    for (const id of ids.keys()) expect((await finished(t, id)).status).toBe('completed');
    expect(r.requests).toHaveLength(kinds.length);
    for (const request of r.requests) {
      const kind = kinds.find((k) => request.path === `/${k.event}`);
      const body = bodyOf(request);
      expect(body.event).toBe(kind?.event);
      expect(body.status).toBe(kind?.status);
      const type = kind?.event.split('_')[0];
      expect(body[`${type}_name`]).toBe('model');
      expect(String(body.text)).toMatch(new RegExp(`^${type === 'pipeline' ? 'Pipeline' : 'Deployment'} request `));
      expect(body).toHaveProperty('result');
      expect(await verifyRecorded(request, t.publicKeyPem)).toMatchObject({ ok: true });
    }
  });

  it('a 500 fails the test: "Received HTTP 500"', async () => {
    const t = await engine();
    const r = await receiver([{ status: 500 }]);
    const id = await runTest(t, { url: `${r.url}/test` });
    expect(await finished(t, id)).toEqual({ id, status: 'failed', error_message: 'Received HTTP 500' });
    await t.idle();
    expect(r.requests).toHaveLength(1);
    expect(await metricValue(t, 'hookpost_webhook_tests_total', { outcome: 'failed' })).toBe(1);
    expect(await t.services.deadLetters.list('demo')).toEqual([]);
  });

  it('a closed port fails the test: "Connection refused"', async () => {
    const t = await engine();
    const id = await runTest(t, { url: `http://127.0.0.1:${await freePort()}/test` });
    expect(await finished(t, id)).toEqual({ id, status: 'failed', error_message: 'Connection refused' });
  });

  it('a destination the guard refuses fails the test: "Destination not allowed: ..."', async () => {
    const t = await engine({ HOOKPOST_ALLOW_PRIVATE_TARGETS: 'false' });
    const r = await receiver();
    const byIp = await runTest(t, { url: `${r.url}/test`, retry: true });
    const byName = await runTest(t, { url: `http://localhost:${r.port}/test`, retry: true });
    for (const id of [byIp, byName]) {
      const detail = await finished(t, id);
      expect(detail.status).toBe('failed');
      expect(detail.error_message).toMatch(/^Destination not allowed: .*loopback/);
    }
    await t.idle();
    expect(r.requests).toHaveLength(0);
  });

  it('the test timeout is honoured: "Timed out after 1 s"', async () => {
    const t = await engine();
    // Answers after 60 s: only the test's timeout can end it before the test's deadlines.
    const r = await receiver([{ status: 204, delayMs: 60_000 }]);
    const id = await runTest(t, { url: `${r.url}/test`, timeout: 1 });
    expect(await finished(t, id)).toEqual({ id, status: 'failed', error_message: 'Timed out after 1 s' });
  });

  it('retry: true: 500 then 204 stays pending in between and ends completed after two requests', async () => {
    const t = await engine({ HOOKPOST_RETRY_SCHEDULE: '1s' });
    const r = await receiver([{ status: 500 }, { status: 204 }]);
    const id = await runTest(t, {
      url: `${r.url}/test`,
      retry: true,
      headers: [{ key: 'Authorization', value: PROTECTED, protected: true }],
    });
    await r.waitForRequests(1);
    // The failed first request has been settled once its job waits for the retry.
    const job = await t.services.deliveries.getJob(`test.${id}`);
    await eventually(async () => (await job?.getState()) === 'delayed', 30_000, 'the retry to be scheduled');
    expect(await t.services.webhookTests.get('demo', id)).toEqual({ id, status: 'pending', error_message: null });
    // The waiting job carries ids only, never the test's header values.
    expect(JSON.stringify(job?.data)).not.toContain(PROTECTED);

    expect(await finished(t, id)).toEqual({ id, status: 'completed', error_message: null });
    expect(r.requests).toHaveLength(2);
    expect(r.requests[1]?.headers['hookpost-delivery-id']).toBe(r.requests[0]?.headers['hookpost-delivery-id']);
    expect((r.requests[1]?.receivedAt ?? 0) - (r.requests[0]?.receivedAt ?? 0)).toBeGreaterThanOrEqual(780);
    for (const request of r.requests) expect(await verifyRecorded(request, t.publicKeyPem)).toMatchObject({ ok: true });
  });
});
