/**
 * An event read from the events queue carries its result as the producer's JSON text (`result_json`)
 * wherever it goes next: deliveries jobs (retries, parked, re-driven dead letters) and the attempt
 * log's kept events. The text survives each of them unchanged, and is checked when it comes back.
 */
import { describe, expect, it } from 'vitest';
import { eventForRedelivery, parseKeptEvent, serializeKeptEvent } from '../../../src/attempts/kept-event.js';
import { MAX_KEPT_RESULT_BYTES } from '../../../src/attempts/model.js';
import { type RequestEvent, validatePublishedEvent } from '../../../src/events/index.js';
import { buildPayload } from '../../../src/payload/index.js';
import { readDeliveriesJob } from '../../../src/queue/jobs.js';

const RESULT = '{"id": 9223372036854775807, "ratio": 0.1000000000000000055511151231257827}';

async function readEvent(resultJson = RESULT): Promise<RequestEvent> {
  const json = `{"project":"demo","object_type":"deployment","object_name":"model","version":"v1","request_id":"r-1","status":"completed","result":${resultJson}}`;
  const checked = await validatePublishedEvent(json, JSON.parse(json));
  if (!checked.ok) throw new Error(checked.error);
  return checked.event;
}

const job = (event: unknown) => ({
  kind: 'delivery',
  deliveryId: 'd-1',
  project: 'demo',
  webhookId: 'w-1',
  webhookEvent: 'deployment_request_completed',
  event,
  priorFailures: 0,
});

describe('a result carried as text', () => {
  it('through a deliveries job (JSON and back, as BullMQ stores it)', async () => {
    const event = await readEvent();
    const read = readDeliveriesJob(JSON.parse(JSON.stringify(job(event))));
    expect(read).toEqual({ ok: true, data: job(event) });
    if (!read.ok || read.data.kind !== 'delivery') throw new Error('not read');
    expect(buildPayload(read.data.event, 'deployment_request_completed', true).body.toString()).toContain(`"result":${RESULT},`);
  });

  it('a deliveries job with a bad result_json is refused naming it', () => {
    const fields = { project: 'demo', object_type: 'deployment', object_name: 'm', version: 'v1', request_id: 'r', status: 'completed' };
    expect(readDeliveriesJob(job({ ...fields, result_json: '{"a":' }))).toEqual({ ok: false, error: 'event: result_json: is not JSON' });
    expect(readDeliveriesJob(job({ ...fields, result_json: 7 }))).toEqual({ ok: false, error: 'event: result_json: must be a string of JSON' });
    expect(readDeliveriesJob(job({ ...fields, result_json: '"\\udc80"' }))).toEqual({
      ok: false,
      error: 'event: result: must be valid Unicode, got a lone surrogate \\udc80',
    });
  });

  it('through the attempt log, kept as that text; a result too large to keep is dropped with it', async () => {
    const event = await readEvent();
    const kept = parseKeptEvent(serializeKeptEvent(event));
    expect(kept).toEqual({ event, resultKept: true });
    expect(buildPayload(eventForRedelivery(kept), 'deployment_request_completed', true).body.toString()).toContain(`"result":${RESULT},`);

    const large = await readEvent(`"${'x'.repeat(MAX_KEPT_RESULT_BYTES)}"`);
    const dropped = parseKeptEvent(serializeKeptEvent(large));
    expect(dropped.resultKept).toBe(false);
    expect('result_json' in dropped.event).toBe(false);
    const redelivered = buildPayload(eventForRedelivery(dropped), 'deployment_request_completed', true);
    expect(redelivered.resultOmitted).toBe(true);
  });
});
