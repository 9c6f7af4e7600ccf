import { describe, expect, it } from 'vitest';
import type { RequestEvent } from '../../../src/events/index.js';
import { buildPayload, createPayloadBuilder, MAX_RESULT_BYTES } from '../../../src/payload/index.js';

const deployment = (over: Partial<RequestEvent> = {}): RequestEvent => ({
  project: 'proj',
  object_type: 'deployment',
  object_name: 'dep',
  object_id: '6f1b3a34-2c8e-4b7e-9f7a-0c1d2e3f4a5b',
  version: 'v1',
  version_id: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  is_default_version: false,
  request_id: 'req-1',
  status: 'completed',
  result: { answer: 42 },
  ...over,
});

const parse = (body: Buffer) => JSON.parse(body.toString('utf8')) as Record<string, unknown>;

describe('buildPayload', () => {
  it('builds the deployment payload in the documented field order', () => {
    const { body, resultOmitted } = buildPayload(deployment(), 'deployment_request_completed', true);
    expect(resultOmitted).toBe(false);
    expect(body.toString()).toBe(
      '{"event":"deployment_request_completed",' +
        '"deployment_id":"6f1b3a34-2c8e-4b7e-9f7a-0c1d2e3f4a5b","deployment_name":"dep",' +
        '"deployment_version_id":"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d","deployment_version_name":"v1",' +
        '"request_id":"req-1","status":"completed","result":{"answer":42},' +
        '"text":"Deployment request req-1 completed for deployment dep v1 in project proj"}',
    );
  });

  it('builds the pipeline payload with null ids when absent', () => {
    const event = deployment({ object_type: 'pipeline', object_id: undefined, version_id: undefined, status: 'processing' });
    const payload = parse(buildPayload(event, 'pipeline_request_started', false).body);
    expect(Object.keys(payload)).toEqual([
      'event',
      'pipeline_id',
      'pipeline_name',
      'pipeline_version_id',
      'pipeline_version_name',
      'request_id',
      'status',
      'text',
    ]);
    expect(payload.pipeline_id).toBeNull();
    expect(payload.pipeline_version_id).toBeNull();
    expect(payload.text).toBe('Pipeline request req-1 started for pipeline dep v1 in project proj');
  });

  it.each([
    ['deployment_request_started', 'processing', 'started'],
    ['deployment_request_completed', 'completed', 'completed'],
    ['deployment_request_failed', 'failed', 'failed'],
    ['deployment_request_finished', 'completed', 'finished'],
    ['deployment_request_finished', 'failed', 'finished'],
  ] as const)('%s (%s) says "%s"', (fired, status, what) => {
    const payload = parse(buildPayload(deployment({ status }), fired, false).body);
    expect(payload.text).toBe(`Deployment request req-1 ${what} for deployment dep v1 in project proj`);
    expect(payload.event).toBe(fired);
    expect(payload.status).toBe(status);
  });

  it('leaves result and result_truncated out without include_result', () => {
    const payload = parse(buildPayload(deployment(), 'deployment_request_completed', false).body);
    expect('result' in payload).toBe(false);
    expect('result_truncated' in payload).toBe(false);
  });

  it('sends "result": null when include_result is set and the event has no result', () => {
    const payload = parse(buildPayload(deployment({ result: undefined }), 'deployment_request_completed', true).body);
    expect(payload.result).toBeNull();
  });

  it('includes a result of exactly 16,384 bytes and leaves out one of 16,385 (multi-byte counted in bytes)', () => {
    // JSON string "<...>": 2 quote bytes + content. "é" is 2 bytes of UTF-8, 1 UTF-16 unit.
    const fits = 'é'.repeat((MAX_RESULT_BYTES - 2) / 2);
    expect(Buffer.byteLength(JSON.stringify(fits))).toBe(16_384);
    const included = buildPayload(deployment({ result: fits }), 'deployment_request_completed', true);
    expect(included.resultOmitted).toBe(false);
    expect(parse(included.body).result).toBe(fits);

    const tooBig = `${fits}a`;
    expect(Buffer.byteLength(JSON.stringify(tooBig))).toBe(16_385);
    expect(JSON.stringify(tooBig).length).toBeLessThan(16_384);
    const omitted = buildPayload(deployment({ result: tooBig }), 'deployment_request_completed', true);
    expect(omitted.resultOmitted).toBe(true);
    const payload = parse(omitted.body);
    expect('result' in payload).toBe(false);
    expect(payload.result_truncated).toBe(true);
    expect(Object.keys(payload).slice(-2)).toEqual(['result_truncated', 'text']);
  });

  it("splices the producer's result text (result_json) in as is: digits beyond 2^53, spacing, 1E400", () => {
    const text = '{"id": 9223372036854775807, "f": 1E400, "e": "caf\\u00e9"}';
    const { body } = buildPayload(deployment({ result: undefined, result_json: text }), 'deployment_request_completed', true);
    expect(body.toString('utf8')).toContain(`,"result":${text},"text":`);
    // Over 16 kB of that text (as published, in UTF-8 bytes) is left out like any result.
    const big = `"${'é'.repeat(8_192)}"`;
    const omitted = buildPayload(deployment({ result: undefined, result_json: big }), 'deployment_request_completed', true);
    expect(omitted.resultOmitted).toBe(true);
    expect(parse(omitted.body).result_truncated).toBe(true);
  });

  it('escapes names that need it and produces valid UTF-8 JSON', () => {
    const event = deployment({ object_name: 'dép "quoted"', project: 'p\\n', result: { t: '✓\u2028' } });
    const payload = parse(buildPayload(event, 'deployment_request_completed', true).body);
    expect(payload.deployment_name).toBe('dép "quoted"');
    expect(payload.text).toBe('Deployment request req-1 completed for deployment dép "quoted" v1 in project p\\n');
    expect(payload.result).toEqual({ t: '✓\u2028' });
  });

  it('builds each distinct body once per event (fan-out to many webhooks)', () => {
    const event = deployment();
    const first = buildPayload(event, 'deployment_request_completed', true);
    expect(buildPayload(event, 'deployment_request_completed', true)).toBe(first);
    expect(buildPayload(event, 'deployment_request_completed', false).body.equals(first.body)).toBe(false);
    expect(buildPayload(event, 'deployment_request_finished', true).body.equals(first.body)).toBe(false);
    expect(buildPayload({ ...event }, 'deployment_request_completed', true)).not.toBe(first);
  });

  it('createPayloadBuilder builds the same bytes as buildPayload, each distinct body once', () => {
    const event = deployment({ result: 'x'.repeat(20_000) });
    const build = createPayloadBuilder(event);
    const first = build('deployment_request_failed', true);
    expect(first.resultOmitted).toBe(true);
    expect(build('deployment_request_failed', true)).toBe(first);
    for (const fired of ['deployment_request_started', 'deployment_request_completed', 'deployment_request_failed', 'deployment_request_finished'] as const) {
      for (const includeResult of [true, false]) {
        expect(build(fired, includeResult).body.equals(buildPayload({ ...event }, fired, includeResult).body)).toBe(true);
      }
    }
  });
});
