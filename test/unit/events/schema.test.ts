import { describe, expect, it } from 'vitest';
import { firedEvents, validateEvent } from '../../../src/events/index.js';

const valid = {
  project: 'demo',
  object_type: 'deployment',
  object_name: 'model-a',
  object_id: '6f1b3a34-2c8e-4b7e-9f7a-0c1d2e3f4a5b',
  version: 'v1',
  version_id: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  is_default_version: true,
  request_id: 'req_1.a-b',
  status: 'completed',
  result: { score: 0.9, labels: ['x'] },
  occurred_at: '2026-11-22T05:00:00.123Z',
} as const;

describe('validateEvent', () => {
  it('accepts a full event and returns it', () => {
    const checked = validateEvent(valid);
    expect(checked).toEqual({ ok: true, event: valid });
  });

  it('defaults is_default_version to false and leaves optional fields out', () => {
    const { object_id, version_id, is_default_version, result, occurred_at, ...minimal } = valid;
    const checked = validateEvent(minimal);
    expect(checked.ok).toBe(true);
    if (checked.ok) {
      expect(checked.event.is_default_version).toBe(false);
      expect('object_id' in checked.event).toBe(false);
      expect('result' in checked.event).toBe(false);
    }
  });

  it('strips unknown fields so producers can add fields', () => {
    const checked = validateEvent({ ...valid, extra: 'x', nested: { a: 1 } });
    expect(checked.ok).toBe(true);
    if (checked.ok) expect(Object.keys(checked.event)).not.toContain('extra');
  });

  it('names the field and the allowed values for a bad status', () => {
    expect(validateEvent({ ...valid, status: 'done' })).toEqual({
      ok: false,
      error: 'status: expected one of processing, completed, failed, got "done"',
    });
  });

  it('lists every bad field', () => {
    const checked = validateEvent({ ...valid, project: '', object_type: 'model', request_id: 'a:b', object_id: 'nope' });
    expect(checked.ok).toBe(false);
    if (!checked.ok) {
      expect(checked.error).toContain('project: must be at least 1 characters');
      expect(checked.error).toContain('object_type: expected one of deployment, pipeline, got "model"');
      expect(checked.error).toContain('request_id: must be made of letters, digits');
      expect(checked.error).toContain('object_id: must be a UUID, got "nope"');
    }
  });

  it('reports missing fields and wrong types', () => {
    const { version, ...noVersion } = valid;
    const checked = validateEvent({ ...noVersion, is_default_version: 'yes' });
    expect(checked.ok).toBe(false);
    if (!checked.ok) {
      expect(checked.error).toContain('version: is required');
      expect(checked.error).toContain('is_default_version: expected boolean, got "yes"');
    }
  });

  it('rejects non-objects', () => {
    expect(validateEvent(null)).toEqual({ ok: false, error: 'event: expected object, got null' });
    expect(validateEvent([1])).toEqual({ ok: false, error: 'event: expected object, got an array' });
  });

  it('rejects request ids longer than 128 characters and error messages over 64 KiB', () => {
    expect(validateEvent({ ...valid, request_id: 'a'.repeat(128) }).ok).toBe(true);
    expect(validateEvent({ ...valid, request_id: 'a'.repeat(129) }).ok).toBe(false);
    expect(validateEvent({ ...valid, error_message: 'e'.repeat(65_536) }).ok).toBe(true);
    const long = validateEvent({ ...valid, error_message: 'e'.repeat(65_537) });
    expect(long).toEqual({ ok: false, error: 'error_message: must be at most 65536 characters' });
  });

  it('accepts occurred_at with an offset and rejects a bare date', () => {
    expect(validateEvent({ ...valid, occurred_at: '2026-11-22T06:00:00+01:00' }).ok).toBe(true);
    const bad = validateEvent({ ...valid, occurred_at: '2026-11-22' });
    expect(bad.ok || bad.error).toMatch(/^occurred_at: must be an ISO-8601 date-time/);
  });

  it('rejects an oversized event by its serialized size, before looking at fields', () => {
    const big = { ...valid, result: 'x'.repeat(2_000) };
    const checked = validateEvent({ ...big, status: 'done' }, { maxBytes: 1_000 });
    expect(checked.ok).toBe(false);
    if (!checked.ok) {
      expect(checked.error).toMatch(/^event: is \d+ bytes of JSON, more than the limit of 1000$/);
      expect(checked.error).not.toContain('status');
    }
    expect(validateEvent(big).ok).toBe(true);
  });

  it('counts multi-byte characters in bytes for the size limit', () => {
    const json = JSON.stringify({ ...valid, result: 'é'.repeat(100) });
    const bytes = Buffer.byteLength(json);
    expect(validateEvent(JSON.parse(json), { maxBytes: bytes }).ok).toBe(true);
    expect(validateEvent(JSON.parse(json), { maxBytes: bytes - 1 }).ok).toBe(false);
  });

  it('rejects data that is not JSON, naming where', () => {
    const cyclic: Record<string, unknown> = { ...valid };
    cyclic.self = cyclic;
    expect(validateEvent(cyclic)).toEqual({ ok: false, error: 'self: is not JSON (it contains itself)' });
    expect(validateEvent({ ...valid, result: { count: 2n ** 63n - 1n } })).toEqual({
      ok: false,
      error: 'result.count: is a BigInt, which JSON cannot hold (send its digits as a string)',
    });
  });
});

describe('firedEvents', () => {
  it.each([
    ['deployment', 'processing', ['deployment_request_started']],
    ['deployment', 'completed', ['deployment_request_completed', 'deployment_request_finished']],
    ['deployment', 'failed', ['deployment_request_failed', 'deployment_request_finished']],
    ['pipeline', 'processing', ['pipeline_request_started']],
    ['pipeline', 'completed', ['pipeline_request_completed', 'pipeline_request_finished']],
    ['pipeline', 'failed', ['pipeline_request_failed', 'pipeline_request_finished']],
  ] as const)('%s %s fires %j', (object_type, status, fired) => {
    expect(firedEvents({ object_type, status })).toEqual(fired);
  });
});
