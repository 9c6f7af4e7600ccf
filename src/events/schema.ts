/**
 * The producer event (SPEC §1): one JSON job per request status transition, pushed by the
 * platform's services onto the events queue. Unknown fields are stripped, not rejected, so that
 * producers can add fields before hookpost knows about them.
 */
import { z } from 'zod';
import { OBJECT_TYPES, type WebhookEvent } from '../registry/model.js';

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

/** A validated producer event (unknown fields stripped, `is_default_version` defaulted). */
export type RequestEvent = z.output<typeof requestEventSchema>;

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
 * An event whose JSON exceeds `maxBytes` is rejected before its fields are looked at.
 */
export function validateEvent(data: unknown, options: ValidateEventOptions = {}): ValidateEventResult {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const size = serializedBytes(data);
  if (size === undefined) return { ok: false, error: 'event: is not JSON (cannot be serialized)' };
  if (size > maxBytes) {
    return { ok: false, error: `event: is ${size} bytes of JSON, more than the limit of ${maxBytes}` };
  }
  const parsed = requestEventSchema.safeParse(data, { reportInput: true });
  if (parsed.success) return { ok: true, event: parsed.data };
  return { ok: false, error: parsed.error.issues.map(describeIssue).join('; ') };
}

/** Lifecycle events fired by one status transition (SPEC §2), each exactly once per request. */
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

function serializedBytes(data: unknown): number | undefined {
  if (typeof data === 'string') return Buffer.byteLength(data, 'utf8');
  try {
    const json = JSON.stringify(data);
    return json === undefined ? undefined : Buffer.byteLength(json, 'utf8');
  } catch {
    return undefined;
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
