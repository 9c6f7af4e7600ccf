/**
 * Standard Webhooks signatures, sender side (docs/signing.md, Standard Webhooks; Standard Webhooks specification v1.0.0,
 * "Signature scheme" and "Webhook headers"): `webhook-id`, `webhook-timestamp` and, for a webhook with
 * a secret, `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, one signature
 * per active secret, space-separated, so that a secret can be rotated without downtime.
 *
 * The receiver side is `verifyStandardWebhook` in `hookpost/verify` (runtime-neutral, WebCrypto).
 */
import { createHmac } from 'node:crypto';
import { ErrorCode, HookpostError } from '../errors.js';
import { decodeBase64 } from './base64.js';

/** The prefix of a serialized Standard Webhooks symmetric secret: `whsec_` + base64 of the key bytes. */
export const STANDARD_WEBHOOK_SECRET_PREFIX = 'whsec_';

/**
 * How long the previous secret keeps signing after a rotation, in milliseconds (24 h, docs/signing.md, Standard Webhooks):
 * receivers that still hold the old secret keep verifying while they are updated.
 */
export const SECRET_ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

/** HMAC-SHA256 key bytes of a webhook secret, as returned by {@link decodeSecret}. */
export type SecretKey = Uint8Array;

/** What a delivery attempt signs. */
export interface StandardWebhookInput {
  /** `webhook-id`: the delivery id, the same on every attempt (receivers deduplicate on it). No `.`. */
  readonly id: string;
  /** `webhook-timestamp`: the attempt's time in whole unix seconds, fresh for every attempt. */
  readonly timestampSeconds: number;
  /** The exact body bytes sent. */
  readonly body: Uint8Array;
  /** The active secrets' keys, newest first (see {@link activeSecrets}); empty for a webhook without a secret. */
  readonly secrets: readonly SecretKey[];
}

/** The Standard Webhooks headers of one attempt. */
export interface StandardWebhookHeaders {
  'webhook-id': string;
  /** Unix seconds, decimal. */
  'webhook-timestamp': string;
  /** `v1,<base64>` per secret, space-separated, newest first; absent when the webhook has no secret. */
  'webhook-signature'?: string;
}

/** A webhook's secrets as stored: the current one and, after a rotation, the one it replaced. */
export interface StoredWebhookSecrets {
  /** The secret in use: `whsec_<base64>` or any other string (used as its UTF-8 bytes). */
  readonly current: string;
  /** The secret that `current` replaced. */
  readonly previous?: string | null;
  /** When `current` replaced `previous`: an ISO 8601 date-time, like the registry's other timestamps. */
  readonly rotatedAt?: string | null;
}

// Printable ASCII without "." (the spec forbids "." in the id: it delimits the signed content) and
// without spaces or control characters, so the id is a safe header value.
const ID_PATTERN = /^[\x21-\x2d\x2f-\x7e]+$/;

/**
 * The Standard Webhooks headers for one delivery attempt: one HMAC-SHA256 per secret over
 * `"{id}.{timestampSeconds}."` followed by the body bytes (the body is not copied into a string).
 *
 * @throws HookpostError SIGNING_FAILED when `id` is empty or contains `.`, a space or a control
 *   character, or `timestampSeconds` is not a non-negative integer
 */
export function standardWebhookHeaders(input: StandardWebhookInput): StandardWebhookHeaders {
  const { id, timestampSeconds, body, secrets } = input;
  if (!ID_PATTERN.test(id)) {
    throw new HookpostError(ErrorCode.SIGNING_FAILED, 'cannot sign delivery: webhook-id must be printable ASCII without "." or spaces');
  }
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new HookpostError(ErrorCode.SIGNING_FAILED, 'cannot sign delivery: webhook-timestamp must be whole unix seconds');
  }
  const timestamp = String(timestampSeconds);
  const headers: StandardWebhookHeaders = { 'webhook-id': id, 'webhook-timestamp': timestamp };
  if (secrets.length === 0) return headers;
  const prefix = `${id}.${timestamp}.`;
  let signatures = '';
  for (const key of secrets) {
    const signature = createHmac('sha256', key).update(prefix).update(body).digest('base64');
    signatures += signatures === '' ? `v1,${signature}` : ` v1,${signature}`;
  }
  headers['webhook-signature'] = signatures;
  return headers;
}

/**
 * The HMAC key bytes of a webhook secret: `whsec_<base64>` is the base64-decoded bytes (padded standard
 * base64, RFC 4648 §4, as the spec serializes secrets); any other string is its UTF-8 bytes. Decode once
 * per secret and keep the result: the delivery path should not decode per attempt.
 *
 * @throws HookpostError WEBHOOK_SECRET_INVALID for an empty secret, or `whsec_` followed by nothing or
 *   by something that is not canonical padded base64
 */
export function decodeSecret(secret: string): Buffer {
  if (!secret.startsWith(STANDARD_WEBHOOK_SECRET_PREFIX)) {
    if (secret === '') throw new HookpostError(ErrorCode.WEBHOOK_SECRET_INVALID, 'a webhook secret cannot be empty');
    return Buffer.from(secret, 'utf8');
  }
  const bytes = decodeBase64(secret.slice(STANDARD_WEBHOOK_SECRET_PREFIX.length));
  if (bytes === undefined || bytes.length === 0) {
    throw new HookpostError(
      ErrorCode.WEBHOOK_SECRET_INVALID,
      'a "whsec_" webhook secret must be followed by non-empty padded standard base64',
    );
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The secrets a delivery is signed with at `nowMs`, newest first: `current`, then `previous` while less
 * than {@link SECRET_ROTATION_OVERLAP_MS} has passed since `rotatedAt`. Without a `rotatedAt` that
 * parses as a date, `previous` is not used: an old secret is only trusted inside a known window.
 *
 * @param nowMs - the current time, milliseconds since the epoch
 */
export function activeSecrets(stored: StoredWebhookSecrets, nowMs: number): string[] {
  const { current, previous, rotatedAt } = stored;
  if (!previous || !rotatedAt || previous === current) return [current];
  const rotatedAtMs = Date.parse(rotatedAt);
  if (Number.isNaN(rotatedAtMs) || nowMs - rotatedAtMs >= SECRET_ROTATION_OVERLAP_MS) return [current];
  return [current, previous];
}
