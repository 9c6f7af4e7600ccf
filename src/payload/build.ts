/**
 * The webhook payload: built on the hot path of every delivery, so it is written as JSON
 * text directly (fixed field order, no intermediate object) and memoized per event: a fan-out to
 * 1,000 webhooks serializes the result once and builds each distinct body once (at most 8 per event:
 * 4 stages x with/without result).
 */
import type { RequestEvent } from '../events/schema.js';
import type { WebhookEvent } from '../registry/model.js';

/** Largest result included in a payload, in bytes of its UTF-8 JSON serialization (16 kB). */
export const MAX_RESULT_BYTES = 16_384;

export interface BuiltPayload {
  /** UTF-8 JSON. Shared between calls for the same event: never mutate it. */
  readonly body: Buffer;
  /** True when include_result was asked for but the result was larger than 16 kB. */
  readonly resultOmitted: boolean;
}

interface ResultJson {
  /** JSON of the result, or `null` when the event has none. */
  readonly json: string;
  readonly fits: boolean;
}

const builders = new WeakMap<RequestEvent, PayloadBuilder>();

const STAGE_SLOTS: Readonly<Record<string, number>> = { started: 0, completed: 1, failed: 2, finished: 3 };

const STAGE_TEXT_PREFIX = { deployment: 'Deployment', pipeline: 'Pipeline' } as const;

/**
 * Builds the payload of one fired event for one webhook:
 * `event, <type>_id, <type>_name, <type>_version_id, <type>_version_name, request_id, status,
 * result | result_truncated, text` (ids `null` when absent). With `includeResult`, `result` is
 * included when its JSON is at most {@link MAX_RESULT_BYTES} bytes (a missing result is `null`),
 * else `"result_truncated": true`; without it neither field appears. That JSON is the event's
 * `result_json` (the producer's exact text) when it has one, else `result` serialized.
 * Memoized on the event object (a WeakMap), so calling it once per matched webhook serializes the
 * result once; treat events as immutable once built. On the hot path prefer
 * {@link createPayloadBuilder}, which memoizes without the WeakMap.
 */
export function buildPayload(event: RequestEvent, webhookEvent: WebhookEvent, includeResult: boolean): BuiltPayload {
  let build = builders.get(event);
  if (!build) {
    build = createPayloadBuilder(event);
    builders.set(event, build);
  }
  return build(webhookEvent, includeResult);
}

/** Builds the payloads of one event (see {@link buildPayload}); each distinct body is built once. */
export type PayloadBuilder = (webhookEvent: WebhookEvent, includeResult: boolean) => BuiltPayload;

/**
 * A memoizing payload builder for one event: create it once per event in the fan-out and call it
 * per matched webhook. The result is serialized at most once, and each of the (at most 8) distinct
 * bodies is built once.
 */
export function createPayloadBuilder(event: RequestEvent): PayloadBuilder {
  let result: ResultJson | undefined;
  // Slot: stage index * 2 + (includeResult ? 1 : 0); a fixed array is cheaper than a Map here.
  const bodies: Array<BuiltPayload | undefined> = [];
  return (webhookEvent, includeResult) => {
    const stage = webhookEvent.slice(webhookEvent.lastIndexOf('_') + 1);
    const slot = (STAGE_SLOTS[stage] ?? 0) * 2 + (includeResult ? 1 : 0);
    const cached = bodies[slot];
    if (cached) return cached;
    let resultPart = '';
    let resultOmitted = false;
    if (includeResult) {
      result ??= serializeResult(event);
      if (result.fits) resultPart = `,"result":${result.json}`;
      else {
        resultPart = ',"result_truncated":true';
        resultOmitted = true;
      }
    }
    const built: BuiltPayload = { body: Buffer.from(renderJson(event, webhookEvent, stage, resultPart), 'utf8'), resultOmitted };
    bodies[slot] = built;
    return built;
  };
}

function renderJson(event: RequestEvent, webhookEvent: WebhookEvent, stage: string, resultPart: string): string {
  const type = event.object_type;
  const text = `${STAGE_TEXT_PREFIX[type]} request ${event.request_id} ${stage} for ${type} ${event.object_name} ${event.version} in project ${event.project}`;
  return (
    `{"event":"${webhookEvent}"` +
    `,"${type}_id":${event.object_id === undefined ? 'null' : JSON.stringify(event.object_id)}` +
    `,"${type}_name":${JSON.stringify(event.object_name)}` +
    `,"${type}_version_id":${event.version_id === undefined ? 'null' : JSON.stringify(event.version_id)}` +
    `,"${type}_version_name":${JSON.stringify(event.version)}` +
    `,"request_id":${JSON.stringify(event.request_id)}` +
    `,"status":"${event.status}"` +
    resultPart +
    `,"text":${JSON.stringify(text)}}`
  );
}

function serializeResult(event: RequestEvent): ResultJson {
  // The producer's own text when the event came from the events queue (digits beyond 2^53 intact);
  // JSON.stringify(undefined) is undefined: a missing result reads `null` in the payload.
  const json = event.result_json ?? (event.result === undefined ? 'null' : (JSON.stringify(event.result) ?? 'null'));
  // A string's UTF-8 length is at least its UTF-16 length, so most small results skip the count.
  const fits = json.length * 3 <= MAX_RESULT_BYTES || Buffer.byteLength(json, 'utf8') <= MAX_RESULT_BYTES;
  return { json, fits };
}
