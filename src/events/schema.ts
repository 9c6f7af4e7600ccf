/**
 * The producer event: one JSON job per request status transition, pushed by the platform's services
 * onto the events queue. Unknown fields are stripped, not rejected, so that producers can add fields
 * before hookpost knows about them. The JSON must be one that can be delivered as published (see
 * json-text.ts): UTF-8, valid Unicode strings, at most {@link MAX_EVENT_DEPTH} levels deep.
 */
import { z } from 'zod';
import { OBJECT_TYPES, type WebhookEvent } from '../registry/model.js';
import { MAX_EVENT_DEPTH, checkEventText, describeInvalidUtf8, findJsonProblem } from './json-text.js';

/** Request statuses a producer can report. */
export const REQUEST_STATUSES = ['processing', 'completed', 'failed'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** Default cap on an event's serialized JSON, in bytes (1 MiB). */
export const DEFAULT_MAX_EVENT_BYTES = 1_048_576;

/** Cap on `error_message`, in characters (64 KiB of ASCII). */
export const MAX_ERROR_MESSAGE_LENGTH = 65_536;

const name = z.string().min(1).max(128);

/** The zod schema of a producer event; `config/event.schema.json` is generated from it. */
export const requestEventSchema = z
  .object({
    project: name.describe('Project name.'),
    object_type: z.enum(OBJECT_TYPES).describe('What processed the request.'),
    object_name: name.describe('Deployment or pipeline name.'),
    object_id: z.uuid().optional().describe('Deployment or pipeline id, copied into the payload.'),
    version: name.describe('Version name that served the request.'),
    version_id: z.uuid().optional().describe('Version id, copied into the payload.'),
    is_default_version: z
      .boolean()
      .default(false)
      .describe("Whether `version` is the object's default version at request time."),
    request_id: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9_.-]+$/)
      .describe('Request id: letters, digits, "_", "." and "-".'),
    status: z.enum(REQUEST_STATUSES).describe("The request's new status."),
    // Any JSON. Not z.json(): its recursive check costs ~2 ms on a 16 kB result, and the size check
    // above it already proved the event serializes as JSON.
    result: z.unknown().optional().describe("The request's result (any JSON)."),
    error_message: z.string().max(MAX_ERROR_MESSAGE_LENGTH).optional().describe('Why the request failed.'),
    occurred_at: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('When the transition happened (ISO-8601 with Z or an offset); default: enqueue time.'),
  })
  .describe('A request status transition pushed by a producer; unknown fields are ignored.');

/**
 * A validated producer event (unknown fields stripped, `is_default_version` defaulted). An event the
 * worker read from the events queue carries its result as `result_json`, the exact JSON text the
 * producer wrote (big integers and all), instead of `result`; the payload splices it in as is.
 */
export type RequestEvent = z.output<typeof requestEventSchema> & {
  /** Set by hookpost, never by a producer: the JSON text of `result` as published. */
  readonly result_json?: string;
};

/** What a producer may send (before defaults). */
export type RequestEventInput = z.input<typeof requestEventSchema>;

export type ValidateEventResult = { ok: true; event: RequestEvent } | { ok: false; error: string };

export interface ValidateEventOptions {
  /** Largest accepted serialized event, in bytes of UTF-8 JSON. Default 1 MiB. */
  readonly maxBytes?: number;
}

/**
 * Validates a producer event. Never throws: a bad event is a value with an error that names each
 * bad field and why (`status: expected one of processing, completed, failed, got "done"`).
 * An event whose JSON exceeds `maxBytes` is rejected before its fields are looked at; so is one that
 * JSON cannot carry as it is (a lone surrogate, nesting deeper than {@link MAX_EVENT_DEPTH}, a BigInt).
 * The event keeps `result` as a value (this is what producers publish).
 */
export function validateEvent(data: unknown, options: ValidateEventOptions = {}): ValidateEventResult {
  let json: string | undefined;
  try {
    json = typeof data === 'string' ? undefined : JSON.stringify(data);
  } catch {
    // Too deep for the stack, a cycle or a BigInt: say which, where.
    return { ok: false, error: findJsonProblem(data) ?? 'event: is not JSON (cannot be serialized)' };
  }
  if (typeof data === 'string') return sizeOver(data, options) ?? checkFields(data);
  if (json === undefined) return { ok: false, error: 'event: is not JSON (cannot be serialized)' };
  const size = sizeOver(json, options);
  if (size !== undefined) return size;
  const text = checkEventText(json, data);
  return text.ok ? checkFields(data) : text;
}

export interface ValidatePublishedOptions extends ValidateEventOptions {
  /**
   * Reads the job data again as bytes, for when the text holds U+FFFD: the Redis client decoded
   * bytes that are not UTF-8 that way, and only the bytes tell a producer's U+FFFD from them.
   */
  readonly readBytes?: () => Promise<Uint8Array | null>;
}

/**
 * Validates an event as the worker reads it from the events queue: `json` is the job's data as
 * stored, `data` what JSON.parse made of it. Beyond {@link validateEvent}: the bytes must be UTF-8,
 * and the event carries `result_json`, the exact text of its result, instead of `result`.
 */
export async function validatePublishedEvent(
  json: string,
  data: unknown,
  options: ValidatePublishedOptions = {},
): Promise<ValidateEventResult> {
  if (options.readBytes !== undefined && json.includes('\uFFFD')) {
    const bytes = await options.readBytes();
    const problem = bytes === null ? undefined : describeInvalidUtf8(bytes, json);
    if (problem !== undefined) return { ok: false, error: problem };
  }
  const size = sizeOver(json, options);
  if (size !== undefined) return size;
  const text = checkEventText(json, data);
  if (!text.ok) return text;
  const checked = checkFields(data);
  if (!checked.ok) return checked;
  // zod's output is a fresh object: the result moves to its text without another copy of the event
  // (`result` is left undefined, which JSON leaves out).
  const event = checked.event as { result?: unknown; result_json?: string };
  if (event.result !== undefined) event.result = undefined;
  if (text.resultJson !== undefined) event.result_json = text.resultJson;
  return checked;
}

/**
 * The event as its producer published it, for people (API views): `result_json` read back into
 * `result`. Integers beyond 2^53 lose digits in this view; deliveries never do.
 */
export function publishedEvent(event: RequestEvent): z.output<typeof requestEventSchema> {
  if (event.result_json === undefined) return event;
  const { result_json: json, ...rest } = event;
  let result: unknown;
  try {
    result = JSON.parse(json);
  } catch {
    result = json;
  }
  return { ...rest, result };
}

/** The too-large error when `json` is over the size limit (UTF-8 bytes), else undefined. */
function sizeOver(json: string, options: ValidateEventOptions): ValidateEventResult | undefined {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_EVENT_BYTES;
  // A string's UTF-8 size is at most three times its length: most events skip the count.
  if (json.length * 3 <= maxBytes) return undefined;
  const size = Buffer.byteLength(json, 'utf8');
  return size > maxBytes ? { ok: false, error: `event: is ${size} bytes of JSON, more than the limit of ${maxBytes}` } : undefined;
}

function checkFields(data: unknown): ValidateEventResult {
  const parsed = requestEventSchema.safeParse(data, { reportInput: true });
  if (parsed.success) return { ok: true, event: parsed.data };
  return { ok: false, error: parsed.error.issues.map(describeIssue).join('; ') };
}

/** Lifecycle events fired by one status transition, each exactly once per request. */
export function firedEvents(event: Pick<RequestEvent, 'object_type' | 'status'>): WebhookEvent[] {
  const type = event.object_type;
  switch (event.status) {
    case 'processing':
      return [`${type}_request_started`];
    case 'completed':
      return [`${type}_request_completed`, `${type}_request_finished`];
    case 'failed':
      return [`${type}_request_failed`, `${type}_request_finished`];
  }
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return JSON.stringify(shown);
  }
  return String(value);
}

type Issue = z.core.$ZodIssue;

function describeIssue(issue: Issue): string {
  const path = issue.path.length > 0 ? issue.path.map(String).join('.') : 'event';
  const got = `got ${describeValue(issue.input)}`;
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return `${path}: is required`;
      return `${path}: expected ${issue.expected}, ${got}`;
    case 'invalid_value':
      return `${path}: expected one of ${issue.values.map(String).join(', ')}, ${got}`;
    case 'too_small':
      return `${path}: must be at least ${String(issue.minimum)} ${unit(issue.origin)}, ${got}`;
    case 'too_big':
      return `${path}: must be at most ${String(issue.maximum)} ${unit(issue.origin)}`;
    case 'invalid_format': {
      const what =
        issue.format === 'uuid'
          ? 'a UUID'
          : issue.format === 'datetime'
            ? 'an ISO-8601 date-time with Z or an offset'
            : issue.format === 'regex'
              ? 'made of letters, digits, "_", "." and "-"'
              : issue.format;
      return `${path}: must be ${what}, ${got}`;
    }
    default:
      return `${path}: ${issue.message}`;
  }
}

function unit(origin: string): string {
  return origin === 'string' ? 'characters' : origin === 'array' ? 'items' : '';
}

export { MAX_EVENT_DEPTH };
