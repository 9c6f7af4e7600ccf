/**
 * The producer event kept with a delivery so that it can be re-delivered later. Events can be up to
 * 1 MiB, so what is kept is capped: `error_message` is not part of the payload (trimmed), and a result
 * whose JSON is over {@link MAX_KEPT_RESULT_BYTES} is dropped. A re-delivery of such a delivery sends
 * `result_truncated: true` to webhooks with `include_result`, as the payload does for results over 16 kB.
 */
import type { RequestEvent } from '../events/index.js';
import { MAX_RESULT_BYTES } from '../payload/index.js';
import { type KeptEvent, MAX_KEPT_ERROR_MESSAGE_CHARS, MAX_KEPT_RESULT_BYTES } from './model.js';

/** The JSON stored for `event`: `{"e": <event, capped>, "r": 0|1}` (`r`: result kept). */
export function serializeKeptEvent(event: RequestEvent): string {
  let kept: RequestEvent = event;
  if (event.error_message !== undefined && event.error_message.length > MAX_KEPT_ERROR_MESSAGE_CHARS) {
    kept = { ...kept, error_message: event.error_message.slice(0, MAX_KEPT_ERROR_MESSAGE_CHARS) };
  }
  let resultKept = true;
  if (event.result !== undefined || event.result_json !== undefined) {
    // The producer's own text when there is one (kept as that text: re-deliveries send it unchanged).
    const json = event.result_json ?? JSON.stringify(event.result) ?? 'null';
    if (json.length > MAX_KEPT_RESULT_BYTES || Buffer.byteLength(json, 'utf8') > MAX_KEPT_RESULT_BYTES) {
      const { result: _dropped, result_json: _droppedText, ...rest } = kept;
      kept = rest as RequestEvent;
      resultKept = false;
    }
  }
  return `{"e":${JSON.stringify(kept)},"r":${resultKept ? 1 : 0}}`;
}

export function parseKeptEvent(raw: string): KeptEvent {
  const parsed = JSON.parse(raw) as { e: RequestEvent; r: 0 | 1 };
  return { event: parsed.e, resultKept: parsed.r === 1 };
}

/**
 * The event to re-deliver. A dropped result becomes a stand-in larger than the payload's 16 kB limit,
 * so the payload builder writes `"result_truncated": true` exactly as for an oversized result; the
 * stand-in itself is never sent.
 */
export function eventForRedelivery(kept: KeptEvent): RequestEvent {
  if (kept.resultKept) return kept.event;
  const { result_json: _none, ...event } = kept.event;
  return { ...event, result: { result_not_kept: 'x'.repeat(MAX_RESULT_BYTES) } };
}
