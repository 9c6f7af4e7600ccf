import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { EVENT_SCHEMA_FILE, renderEventJsonSchema } from '../../../scripts/gen-event-schema.js';
import { validateEvent } from '../../../src/events/index.js';

const committed = readFileSync(EVENT_SCHEMA_FILE, 'utf8');

const base = {
  project: 'demo',
  object_type: 'pipeline',
  object_name: 'p1',
  version: 'v1',
  request_id: 'r1',
  status: 'processing',
};
const uuid = '6f1b3a34-2c8e-4b7e-9f7a-0c1d2e3f4a5b';

const samples: Array<[string, unknown, boolean]> = [
  ['minimal', base, true],
  ['full', { ...base, object_id: uuid, version_id: uuid, is_default_version: true, result: [1, 'a', null, { b: true }], error_message: 'x', occurred_at: '2026-01-01T00:00:00Z' }, true],
  ['unknown field', { ...base, extra: 1 }, true],
  ['result null', { ...base, result: null }, true],
  ['result string', { ...base, result: 'done' }, true],
  ['offset date-time', { ...base, occurred_at: '2026-01-01T00:00:00.5+02:00' }, true],
  ['missing project', { ...base, project: undefined }, false],
  ['empty project', { ...base, project: '' }, false],
  ['long object_name', { ...base, object_name: 'n'.repeat(129) }, false],
  ['bad object_type', { ...base, object_type: 'model' }, false],
  ['bad status', { ...base, status: 'done' }, false],
  ['request_id with colon', { ...base, request_id: 'a:b' }, false],
  ['request_id with space', { ...base, request_id: 'a b' }, false],
  ['bad uuid', { ...base, object_id: 'not-a-uuid' }, false],
  ['is_default_version string', { ...base, is_default_version: 'true' }, false],
  ['error_message number', { ...base, error_message: 42 }, false],
  ['date only', { ...base, occurred_at: '2026-01-01' }, false],
  ['version number', { ...base, version: 1 }, false],
  ['array', [base], false],
  ['string', 'event', false],
];

describe('config/event.schema.json', () => {
  it('is what scripts/gen-event-schema.ts generates now (regenerate: npm run build && node dist/scripts/gen-event-schema.js)', () => {
    expect(committed).toBe(renderEventJsonSchema());
  });

  it('has an $id, a title and a description', () => {
    const schema = JSON.parse(committed) as Record<string, unknown>;
    expect(schema.$id).toMatch(/event\.schema\.json$/);
    expect(schema.title).toBeTruthy();
    expect(schema.description).toContain('hookpost:events');
  });

  const ajv = new Ajv2020({ strict: true, validateFormats: false });
  const validateWithAjv = ajv.compile(JSON.parse(committed));

  it.each(samples)('%s: validateEvent and ajv agree', (_name, sample, expected) => {
    const data = JSON.parse(JSON.stringify(sample)) as unknown;
    expect(validateEvent(data).ok).toBe(expected);
    expect(validateWithAjv(data)).toBe(expected);
  });
});
