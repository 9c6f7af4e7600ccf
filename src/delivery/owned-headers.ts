/**
 * The request headers hookpost owns on a delivery, in one list that the sending side and the API
 * both use: a webhook may not configure them, since they would be dropped or overwritten when sent.
 * Names are lower case; compare case-insensitively.
 */
import { DELIVERY_ID_COMPONENT } from '../signing/signature-base.js';
import { RFC9421_HEADERS, STANDARD_WEBHOOKS_HEADERS } from './signature-schemes.js';

/** The header carrying the delivery id, stable across retries (receivers deduplicate on it); signed. */
export const DELIVERY_ID_HEADER = DELIVERY_ID_COMPONENT;

/**
 * Framing and hop-by-hop headers (RFC 9110 §7.6.1, RFC 9112 §6-7) the delivery client drops from
 * every request it is given: from callers they could desync the connection. undici sets its own
 * `host` and `content-length`.
 */
export const CLIENT_OWNED_HEADERS = Object.freeze([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'expect',
  'te',
] as const);

/**
 * Headers the delivery pipeline sets on every attempt, over anything a webhook configured: its
 * identity, the body's type, and the headers of the signature schemes (signature-schemes.ts): the
 * RFC 9421 signature with its covered `date`, `content-digest`, `hookpost-delivery-id` and
 * `hookpost-project`, and the Standard Webhooks headers.
 */
export const PIPELINE_OWNED_HEADERS = Object.freeze([
  'user-agent',
  'content-type',
  // The delivery id (DELIVERY_ID_HEADER) is among the RFC 9421 scheme's headers: it is signed.
  ...RFC9421_HEADERS,
  ...STANDARD_WEBHOOKS_HEADERS,
] as const);

/** Every header a webhook cannot configure: {@link CLIENT_OWNED_HEADERS} and {@link PIPELINE_OWNED_HEADERS}. */
export const OWNED_HEADERS: readonly string[] = Object.freeze([...PIPELINE_OWNED_HEADERS, ...CLIENT_OWNED_HEADERS]);

const owned = new Set(OWNED_HEADERS);

/** True when hookpost sets or drops the header `name` (any case) itself. */
export function isOwnedHeader(name: string): boolean {
  return owned.has(name.toLowerCase());
}
