/**
 * End to end: the bytes a receiver gets for deployments and pipelines, `text` per stage,
 * and the 16 kB result rule; every delivery checked with the package's own verifier.
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { WebhookEvent } from '../../../src/registry/model.js';
import {
  bodyOf,
  metricValue,
  requestEvent,
  startTestEngine,
  type TestEngine,
  verifyRecorded,
} from '../../helpers/engine.js';
import { type Receiver, type RecordedRequest, startReceiver } from '../../helpers/index.js';

const OBJECT_ID = '0b7d2b8e-7f3c-4c55-9d6f-0e8c9b1a2f30';
const VERSION_ID = '6a1f4e2c-1d3b-4f5a-8e7d-9c0b1a2d3e4f';

describe('payload: what receivers get', () => {
  let t: TestEngine;
  let receiver: Receiver;

  beforeEach(async () => {
    t = await startTestEngine(inject('redisUrl'));
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await t.close();
    await receiver.close();
  });

  const verified = async (requests: readonly RecordedRequest[]) => {
    expect(requests.length).toBeGreaterThan(0);
    for (const r of requests) {
      expect(await verifyRecorded(r, t.publicKeyPem)).toMatchObject({ ok: true });
      expect(r.method).toBe('POST');
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['content-length']).toBe(String(r.body.length));
      expect(r.headers['transfer-encoding']).toBeUndefined();
    }
  };
  const byPath = (path: string) => {
    const found = receiver.requests.find((r) => r.path === path);
    if (!found) throw new Error(`no request to ${path}; got ${receiver.requests.map((r) => r.path).join(', ')}`);
    return found;
  };
  const hookEveryStage = async (
    objectType: 'deployment' | 'pipeline',
    over: { include_result?: boolean; version?: string } = {},
  ) => {
    for (const stage of ['started', 'completed', 'failed', 'finished']) {
      await t.createWebhook({
        url: `${receiver.url}/${stage}`,
        object_type: objectType,
        object_name: 'flow',
        event: `${objectType}_request_${stage}` as WebhookEvent,
        ...over,
      });
    }
  };

  it('a deployment payload: every field, in order, and text per stage', async () => {
    await hookEveryStage('deployment', { include_result: true });
    const base = { object_name: 'flow', version: 'v1', request_id: 'req-d1' };
    await t.publishSettled(requestEvent({ ...base, status: 'processing', result: undefined }));
    await t.publishSettled(requestEvent({ ...base, status: 'completed', result: { label: 'positive', score: 0.93 } }));
    await verified(receiver.requests);
    expect(receiver.requests).toHaveLength(3);

    const started = byPath('/started');
    // Exact bytes: the documented field order, no whitespace, UTF-8.
    expect(started.body.toString('utf8')).toBe(
      '{"event":"deployment_request_started"' +
        `,"deployment_id":"${OBJECT_ID}","deployment_name":"flow"` +
        `,"deployment_version_id":"${VERSION_ID}","deployment_version_name":"v1"` +
        ',"request_id":"req-d1","status":"processing","result":null' +
        ',"text":"Deployment request req-d1 started for deployment flow v1 in project demo"}',
    );
    expect(bodyOf(byPath('/completed'))).toEqual({
      event: 'deployment_request_completed',
      deployment_id: OBJECT_ID,
      deployment_name: 'flow',
      deployment_version_id: VERSION_ID,
      deployment_version_name: 'v1',
      request_id: 'req-d1',
      status: 'completed',
      result: { label: 'positive', score: 0.93 },
      text: 'Deployment request req-d1 completed for deployment flow v1 in project demo',
    });
    expect(bodyOf(byPath('/finished'))).toMatchObject({
      event: 'deployment_request_finished',
      status: 'completed',
      result: { label: 'positive', score: 0.93 },
      text: 'Deployment request req-d1 finished for deployment flow v1 in project demo',
    });
  });

  it('a failed deployment request: failed and finished texts, ids null when the producer sent none', async () => {
    await hookEveryStage('deployment', { version: 'exp-7' });
    await t.publishSettled(
      requestEvent({
        object_name: 'flow',
        object_id: undefined,
        version_id: undefined,
        version: 'exp-7',
        request_id: 'req-d2',
        status: 'failed',
        error_message: 'out of memory',
        result: { partial: true },
      }),
    );
    await verified(receiver.requests);
    expect(receiver.requests.map((r) => r.path).sort()).toEqual(['/failed', '/finished']);
    expect(bodyOf(byPath('/failed'))).toEqual({
      event: 'deployment_request_failed',
      deployment_id: null,
      deployment_name: 'flow',
      deployment_version_id: null,
      deployment_version_name: 'exp-7',
      request_id: 'req-d2',
      status: 'failed',
      text: 'Deployment request req-d2 failed for deployment flow exp-7 in project demo',
    });
    expect(bodyOf(byPath('/finished'))).toMatchObject({
      event: 'deployment_request_finished',
      status: 'failed',
      text: 'Deployment request req-d2 finished for deployment flow exp-7 in project demo',
    });
  });

  it('a pipeline payload uses the pipeline_* fields and "Pipeline request ... for pipeline ..."', async () => {
    await hookEveryStage('pipeline', { include_result: true, version: 'main' });
    const base = { object_type: 'pipeline', object_name: 'flow', version: 'main', request_id: 'req-p1' };
    await t.publishSettled(requestEvent({ ...base, status: 'processing', result: undefined }));
    await t.publishSettled(requestEvent({ ...base, status: 'failed', result: [1, 2, 3] }));
    await verified(receiver.requests);
    expect(receiver.requests.map((r) => r.path).sort()).toEqual(['/failed', '/finished', '/started']);
    expect(bodyOf(byPath('/failed'))).toEqual({
      event: 'pipeline_request_failed',
      pipeline_id: OBJECT_ID,
      pipeline_name: 'flow',
      pipeline_version_id: VERSION_ID,
      pipeline_version_name: 'main',
      request_id: 'req-p1',
      status: 'failed',
      result: [1, 2, 3],
      text: 'Pipeline request req-p1 failed for pipeline flow main in project demo',
    });
    expect(bodyOf(byPath('/started')).text).toBe('Pipeline request req-p1 started for pipeline flow main in project demo');
    expect(bodyOf(byPath('/finished')).text).toBe('Pipeline request req-p1 finished for pipeline flow main in project demo');
    for (const r of receiver.requests) expect(Object.keys(bodyOf(r)).some((k) => k.startsWith('deployment_'))).toBe(false);
  });

  it('a pipeline completed event: completed and finished', async () => {
    await hookEveryStage('pipeline', { version: 'main' });
    await t.publishSettled(
      requestEvent({ object_type: 'pipeline', object_name: 'flow', version: 'main', request_id: 'req-p2', status: 'completed' }),
    );
    await verified(receiver.requests);
    expect(bodyOf(byPath('/completed')).text).toBe('Pipeline request req-p2 completed for pipeline flow main in project demo');
    expect(bodyOf(byPath('/finished')).text).toBe('Pipeline request req-p2 finished for pipeline flow main in project demo');
  });

  it('signatures verify whatever the spelling of the URL (host case, escapes, query, IP forms)', async () => {
    const port = receiver.port;
    const urls = [
      `http://LOCALHOST:${port}/Upper/Case`,
      `http://127.0.0.1:${port}/p%7Euser/a%2Fb/%41?q=a%20b&r=%7E&empty=`,
      `http://2130706433:${port}/decimal-host`,
      `http://127.0.0.1:${port}`,
      `http://127.0.0.1:${port}/trailing?`,
      `http://127.0.0.1:${port}/unicode/caf\u00e9?x=\u00fc`,
    ];
    for (const url of urls) await t.createWebhook({ url });
    await t.publishSettled(requestEvent());
    expect(receiver.requests).toHaveLength(urls.length);
    for (const r of receiver.requests) {
      const result = await verifyRecorded(r, t.publicKeyPem);
      expect(result, `${r.headers.host}${r.path}`).toMatchObject({ ok: true });
    }
  });

  it("a stored header named like one of hookpost's own cannot replace it", async () => {
    // The API refuses these names; the engine must not depend on that.
    await t.createWebhook({
      url: `${receiver.url}/reserved`,
      headers: [
        { key: 'Signature', value: 'pyhms=:AAAA:' },
        { key: 'Signature-Input', value: 'pyhms=();created=1' },
        { key: 'Content-Digest', value: 'sha-512=:AAAA:' },
        { key: 'Date', value: 'Thu, 01 Jan 1970 00:00:00 GMT' },
        { key: 'Content-Type', value: 'text/plain' },
        { key: 'Content-Length', value: '1' },
        { key: 'Host', value: 'evil.example' },
        { key: 'Hookpost-Delivery-Id', value: 'forged' },
        { key: 'X-Custom', value: 'kept' },
      ],
    });
    await t.publishSettled(requestEvent());
    await verified(receiver.requests);
    const [r] = receiver.requests;
    expect(r?.headers['content-type']).toBe('application/json');
    expect(r?.headers.host).toBe(`127.0.0.1:${receiver.port}`);
    expect(r?.headers['hookpost-delivery-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(r?.headers['x-custom']).toBe('kept');
    expect(r?.headers.signature).not.toContain('AAAA');
  });

  describe('the 16 kB result rule', () => {
    /** A result whose JSON serialization is exactly `bytes` bytes of UTF-8 (`char` is 1 or 2 bytes). */
    const resultOfBytes = (bytes: number, char = 'x') => {
      const overhead = Buffer.byteLength(JSON.stringify({ data: '' }));
      const width = Buffer.byteLength(char);
      const room = bytes - overhead;
      // Multi-byte characters, padded with ASCII to the exact size.
      const result = { data: char.repeat(Math.floor(room / width)) + 'x'.repeat(room % width) };
      expect(Buffer.byteLength(JSON.stringify(result))).toBe(bytes);
      return result;
    };

    it.each([
      { what: 'ASCII', char: 'x' },
      { what: 'two-byte UTF-8', char: 'é' },
    ])('$what: 16,384 bytes of JSON are included, 16,386 are left out and counted', async ({ char }) => {
      await t.createWebhook({ url: `${receiver.url}/with`, include_result: true });
      await t.createWebhook({ url: `${receiver.url}/without`, include_result: false });
      const fits = resultOfBytes(16_384, char);
      const tooBig = resultOfBytes(16_386, char);
      await t.publishSettled(requestEvent({ request_id: 'req-fits', result: fits }));
      expect(await metricValue(t, 'hookpost_results_omitted_total')).toBe(0);
      await t.publishSettled(requestEvent({ request_id: 'req-big', result: tooBig }));
      await verified(receiver.requests);

      const got = (path: string, id: string) => {
        const r = receiver.requests.find((x) => x.path === path && bodyOf(x).request_id === id);
        return bodyOf(r);
      };
      expect(got('/with', 'req-fits').result).toEqual(fits);
      expect(got('/with', 'req-fits')).not.toHaveProperty('result_truncated');
      expect(got('/with', 'req-big')).not.toHaveProperty('result');
      expect(got('/with', 'req-big').result_truncated).toBe(true);
      for (const id of ['req-fits', 'req-big']) {
        expect(got('/without', id)).not.toHaveProperty('result');
        expect(got('/without', id)).not.toHaveProperty('result_truncated');
      }
      expect(await metricValue(t, 'hookpost_results_omitted_total')).toBe(1);
      const scraped = await t.services.metricsRegistry.getSingleMetricAsString('hookpost_results_omitted_total');
      expect(scraped).toContain('hookpost_results_omitted_total 1');
    });

    it('16,385 bytes (one over) are left out: result_truncated and the metric', async () => {
      await t.createWebhook({ url: `${receiver.url}/with`, include_result: true });
      await t.createWebhook({ url: `${receiver.url}/finished`, include_result: true, event: 'deployment_request_finished' });
      await t.publishSettled(requestEvent({ result: resultOfBytes(16_385) }));
      await verified(receiver.requests);
      expect(receiver.requests).toHaveLength(2);
      for (const r of receiver.requests) {
        const body = bodyOf(r);
        expect(body).not.toHaveProperty('result');
        expect(body.result_truncated).toBe(true);
        // result_truncated takes the place of result: just before text.
        expect(Object.keys(body)).toEqual([
          'event',
          'deployment_id',
          'deployment_name',
          'deployment_version_id',
          'deployment_version_name',
          'request_id',
          'status',
          'result_truncated',
          'text',
        ]);
      }
      // One omission per payload built (completed and finished are two payloads).
      expect(await metricValue(t, 'hookpost_results_omitted_total')).toBe(2);
    });

    // Retries rebuild the body; the omission is counted on the first attempt only.
    it('a retried delivery with a result left out counts the omission once', async () => {
      const flaky = await startReceiver((_req, n) => ({ status: n === 0 ? 500 : 204 }));
      try {
        await t.createWebhook({ url: `${flaky.url}/with`, include_result: true, retry: true });
        await t.producer.publish(requestEvent({ result: resultOfBytes(16_385) }));
        await flaky.waitForRequests(2);
        await verified(flaky.requests);
        for (const r of flaky.requests) expect(bodyOf(r).result_truncated).toBe(true);
        await new Promise((r) => setTimeout(r, 100));
        expect(await metricValue(t, 'hookpost_results_omitted_total')).toBe(1);
      } finally {
        await flaky.close();
      }
    });

    it('a result that is a bare JSON string of exactly 16,384 bytes is included verbatim', async () => {
      await t.createWebhook({ url: `${receiver.url}/with`, include_result: true });
      const result = 'y'.repeat(16_382);
      await t.publishSettled(requestEvent({ result }));
      await verified(receiver.requests);
      expect(receiver.requests[0]?.body.toString('utf8')).toContain(`,"result":${JSON.stringify(result)},"text":`);
      expect(await metricValue(t, 'hookpost_results_omitted_total')).toBe(0);
    });
  });
});
