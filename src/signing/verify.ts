/**
 * Receiver-side verification of hookpost deliveries (`hookpost/verify`): checks a request the way the
 * documented UbiOps Python receiver does (requests_http_signature on http_message_signatures, docs/signing.md):
 * exactly one signature, the five required components covered, Content-Digest over the body, the
 * `created` window, `expires`, keyid and alg, then the Ed25519 signature (RFC 8032) over the RFC 9421
 * signature base rebuilt from the received request. Deliveries also cover `hookpost-delivery-id` and
 * `hookpost-project`; a signature of an earlier release without them is still accepted (their values
 * are then not in the result), unless the `project` option asks for the project.
 *
 * It also verifies the Standard Webhooks headers hookpost sends beside them (docs/signing.md, Standard Webhooks):
 * {@link verifyStandardWebhook}.
 *
 * Runs in any JavaScript runtime (Node, Deno, Bun, browsers, edge workers): it imports nothing from
 * `node:`; it uses WebCrypto (`globalThis.crypto.subtle`) and @noble/ed25519.
 */
import { verifyAsync } from '@noble/ed25519';
import { decodeBase64 } from './base64.js';
import {
  DELIVERY_ID_COMPONENT,
  PROJECT_COMPONENT,
  REQUIRED_COMPONENTS,
  SIGNATURE_ALGORITHM,
  buildSignatureBase,
} from './signature-base.js';
import {
  type BareItem,
  type DictionaryMember,
  type InnerList,
  StructuredFieldError,
  parseDictionary,
  serializeInnerList,
} from './structured-fields.js';
import { type RequestTarget, requestTarget } from './target.js';

/** Every reason {@link verify} can give for rejecting a request. */
export const VERIFY_FAILURE_REASONS = [
  'missing_signature',
  'multiple_signatures',
  'malformed',
  'unsupported_component',
  'component_missing',
  'component_not_covered',
  'digest_missing',
  'digest_mismatch',
  'unsupported_digest',
  'created_missing',
  'created_too_old',
  'created_in_future',
  'expired',
  'keyid_mismatch',
  'unsupported_alg',
  'bad_signature',
  'project_mismatch',
] as const;

/**
 * Why a request was rejected:
 * - `missing_signature`: no Signature or no Signature-Input header.
 * - `multiple_signatures`: more than one signature (hookpost always sends exactly one).
 * - `malformed`: a header is not a valid structured field, labels differ, a parameter has the wrong type,
 *   or the URL cannot be parsed.
 * - `unsupported_component`: a covered component this verifier cannot rebuild (e.g. with `;sf`, `;req`).
 * - `component_missing`: a covered header is absent from the request.
 * - `component_not_covered`: one of `@method @authority @target-uri content-digest date` is not covered
 *   (or, with the `project` option, `hookpost-project` is not).
 * - `digest_missing` / `digest_mismatch` / `unsupported_digest`: Content-Digest absent, wrong, or not sha-512/sha-256.
 * - `created_missing` / `created_too_old` / `created_in_future` / `expired`: the time window.
 * - `keyid_mismatch`: the keyid is absent or names none of the configured keys.
 * - `unsupported_alg`: `alg` is present and not `ed25519`.
 * - `bad_signature`: the Ed25519 signature does not verify over the rebuilt signature base.
 * - `project_mismatch`: with the `project` option, the signed `Hookpost-Project` names another project.
 */
export type VerifyFailureReason = (typeof VERIFY_FAILURE_REASONS)[number];

/** The received request, as the receiver saw it. */
export interface VerifyRequest {
  /** The request method (e.g. `POST`). */
  method: string;
  /**
   * The absolute URL the request was addressed to: `scheme://` + Host header + path and query as on the
   * request line. With Node's `http` server that is `` `https://${req.headers.host}${req.url}` ``.
   */
  url: string;
  /** The request headers (a Fetch `Headers` or Node's `IncomingHttpHeaders`-like record). */
  headers: Headers | Record<string, string | string[] | undefined>;
  /** The exact body bytes received (a string is taken as UTF-8). */
  body: Uint8Array | string;
}

/**
 * One of hookpost's public keys: SPKI PEM (`-----BEGIN PUBLIC KEY-----`), the raw 32 bytes, or an
 * entry of `GET /v2.1/signing-keys` (its `public_key_pem` is used; the keyid is always computed here).
 */
export type VerifyPublicKey = string | Uint8Array | { readonly public_key_pem: string };

/**
 * How to verify: hookpost's public key, or the set of keys it publishes (`GET /v2.1/signing-keys`)
 * while it rotates them; the signature's `keyid` picks the key.
 */
export type VerifyOptions = (
  | { publicKey: VerifyPublicKey; publicKeys?: undefined }
  | { publicKeys: readonly VerifyPublicKey[]; publicKey?: undefined }
) & {
  /** Clock, in milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Reject signatures whose `created` is older than this many seconds. Default 86400 (24 h). */
  maxAgeSeconds?: number;
  /** Reject signatures whose `created` is more than this many seconds ahead of `now`. Default 5. */
  maxFutureSeconds?: number;
  /**
   * Your project: accept only deliveries whose signature covers `hookpost-project` with exactly this
   * value. One key signs for every project of a hookpost installation, so without this check a
   * delivery another project's webhook was pointed at your URL verifies too.
   */
  project?: string;
};

/**
 * The outcome of {@link verify}. On success, `deliveryId` and `project` are the signed values of
 * `Hookpost-Delivery-Id` and `Hookpost-Project` (absent when the signature does not cover them, as with
 * deliveries signed by earlier releases): de-duplicate on `deliveryId`, check `project`.
 */
export type VerifyResult =
  | { ok: true; keyid: string; created: number; label: string; deliveryId?: string; project?: string }
  | { ok: false; reason: VerifyFailureReason; message: string };

const DEFAULT_MAX_AGE_SECONDS = 86_400;
const DEFAULT_MAX_FUTURE_SECONDS = 5;
const DIGEST_ALGORITHMS: Readonly<Record<string, 'SHA-512' | 'SHA-256'>> = {
  'sha-512': 'SHA-512',
  'sha-256': 'SHA-256',
};
const utf8 = new TextEncoder();

class Rejection {
  constructor(
    readonly reason: VerifyFailureReason,
    readonly message: string,
  ) {}
}

/**
 * Verifies a signed hookpost delivery (docs/signing.md; RFC 9421 §3.2, RFC 9530). A rejected request is a
 * result, not an exception: `{ ok: false, reason, message }`. Only verify the body after `ok: true`.
 *
 * @throws TypeError when `options.publicKey` or an entry of `options.publicKeys` is not an Ed25519
 *   public key, no key is given, `maxAgeSeconds` or `maxFutureSeconds` is not a finite number ≥ 0, or
 *   `now()` does not return a finite number (configuration errors: a NaN would silently skip the
 *   time checks)
 */
export async function verify(request: VerifyRequest, options: VerifyOptions): Promise<VerifyResult> {
  checkSecondsOption('maxAgeSeconds', options.maxAgeSeconds);
  checkSecondsOption('maxFutureSeconds', options.maxFutureSeconds);
  const keys = await resolvePublicKeys(options);
  try {
    return await check(request, options, keys);
  } catch (err) {
    if (err instanceof Rejection) return { ok: false, reason: err.reason, message: err.message };
    throw err;
  }
}

interface ResolvedKey {
  raw: Uint8Array;
  keyid: string;
}

async function check(request: VerifyRequest, options: VerifyOptions, keys: readonly ResolvedKey[]): Promise<VerifyResult> {
  const headers = normalizeHeaders(request.headers);
  const inputHeader = headers.get('signature-input');
  const signatureHeader = headers.get('signature');
  if (!inputHeader || !signatureHeader) {
    throw new Rejection('missing_signature', 'the request has no Signature and Signature-Input headers');
  }
  const inputs = parseHeader(inputHeader, 'Signature-Input', 'multiple_signatures');
  const signatures = parseHeader(signatureHeader, 'Signature', 'multiple_signatures');
  if (inputs.length !== 1 || signatures.length !== 1) {
    throw new Rejection(
      inputs.length === 0 || signatures.length === 0 ? 'missing_signature' : 'multiple_signatures',
      `expected exactly one signature, got ${inputs.length} in Signature-Input and ${signatures.length} in Signature`,
    );
  }
  const [label, input] = inputs[0]!;
  const [signatureLabel, signatureMember] = signatures[0]!;
  if (label !== signatureLabel) {
    throw new Rejection('malformed', `Signature-Input label "${label}" does not match Signature label "${signatureLabel}"`);
  }
  if (input.kind !== 'inner-list') throw new Rejection('malformed', 'the Signature-Input member is not an inner list');
  if (signatureMember.kind !== 'item' || signatureMember.value.type !== 'binary') {
    throw new Rejection('malformed', 'the Signature member is not a byte sequence');
  }
  const signature = signatureMember.value.value;

  const components = coveredComponents(input);
  for (const required of REQUIRED_COMPONENTS) {
    if (!components.includes(required)) {
      throw new Rejection('component_not_covered', `"${required}" is not covered by the signature`);
    }
  }

  const params = signatureParams(input);
  const nowMs = readClock(options.now);
  const maxAgeSeconds = options.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS;
  const maxFutureSeconds = options.maxFutureSeconds ?? DEFAULT_MAX_FUTURE_SECONDS;
  if (params.created === undefined) throw new Rejection('created_missing', 'the signature has no "created" parameter');
  if (params.created * 1000 > nowMs + maxFutureSeconds * 1000) {
    throw new Rejection('created_in_future', `"created" is more than ${maxFutureSeconds} s in the future`);
  }
  if (params.created * 1000 < nowMs - maxAgeSeconds * 1000) {
    throw new Rejection('created_too_old', `the signature is older than ${maxAgeSeconds} s`);
  }
  if (params.expires !== undefined && params.expires * 1000 < nowMs) {
    throw new Rejection('expired', 'the signature has expired');
  }
  if (params.alg !== undefined && params.alg !== SIGNATURE_ALGORITHM) {
    throw new Rejection('unsupported_alg', `unsupported signature algorithm "${params.alg}"`);
  }
  if (params.keyid === undefined) throw new Rejection('keyid_mismatch', 'the signature has no keyid');
  const key = keys.find((k) => k.keyid === params.keyid);
  if (key === undefined) {
    throw new Rejection(
      'keyid_mismatch',
      keys.length === 1
        ? `keyid "${params.keyid}" is not the configured key`
        : `keyid "${params.keyid}" is none of the ${keys.length} configured keys`,
    );
  }

  const body = typeof request.body === 'string' ? utf8.encode(request.body) : request.body;
  await checkContentDigest(headers.get('content-digest'), body);

  let target: RequestTarget;
  try {
    target = requestTarget(request.url);
  } catch {
    throw new Rejection('malformed', 'request.url is not an absolute http(s) URL');
  }
  const lines = components.map((name) => [name, componentValue(name, request.method, target, headers)] as const);
  const base = buildSignatureBase(lines, serializeInnerList(input));

  if (signature.length !== 64) throw new Rejection('bad_signature', 'an Ed25519 signature is 64 bytes');
  const valid = await verifyAsync(signature, utf8.encode(base), key.raw, { zip215: false }).catch(() => false);
  if (!valid) throw new Rejection('bad_signature', 'the signature does not verify over the signature base');
  const signed = (name: string) => lines.find(([n]) => n === name)?.[1];
  const deliveryId = signed(DELIVERY_ID_COMPONENT);
  const project = signed(PROJECT_COMPONENT);
  if (options.project !== undefined) {
    if (typeof options.project !== 'string' || options.project === '') throw new TypeError('project must be a non-empty string');
    if (project === undefined) {
      throw new Rejection('component_not_covered', `"${PROJECT_COMPONENT}" is not covered by the signature (the project option needs it)`);
    }
    if (project !== options.project) {
      throw new Rejection('project_mismatch', `the delivery is signed for project "${project}", not "${options.project}"`);
    }
  }
  return {
    ok: true,
    keyid: key.keyid,
    created: params.created,
    label,
    ...(deliveryId === undefined ? {} : { deliveryId }),
    ...(project === undefined ? {} : { project }),
  };
}

/** Parses a dictionary header; a repeated key gets `duplicateReason`, any other error `malformed`. */
function parseHeader(
  value: string,
  name: string,
  duplicateReason: VerifyFailureReason = 'malformed',
): Array<[string, DictionaryMember]> {
  try {
    return parseDictionary(value);
  } catch (err) {
    if (!(err instanceof StructuredFieldError)) throw err;
    throw new Rejection(err.duplicateKey ? duplicateReason : 'malformed', `${name}: ${err.message}`);
  }
}

function coveredComponents(input: InnerList): string[] {
  const names: string[] = [];
  for (const item of input.items) {
    if (item.value.type !== 'string') throw new Rejection('malformed', 'a covered component is not a string');
    const name = item.value.value;
    if (item.params.length > 0) {
      throw new Rejection('unsupported_component', `component "${name}" has parameters, which are not supported`);
    }
    if (name !== name.toLowerCase()) throw new Rejection('malformed', `component "${name}" is not lower case`);
    if (names.includes(name)) throw new Rejection('malformed', `component "${name}" is covered twice`);
    names.push(name);
  }
  return names;
}

interface ParsedParams {
  created?: number;
  expires?: number;
  keyid?: string;
  alg?: string;
}

function signatureParams(input: InnerList): ParsedParams {
  const parsed: ParsedParams = {};
  for (const [name, value] of input.params) {
    if (name === 'created' || name === 'expires') parsed[name] = integerParam(name, value);
    else if (name === 'keyid' || name === 'alg') parsed[name] = stringParam(name, value);
    else if (name === 'nonce' || name === 'tag') stringParam(name, value);
    // Any other parameter is covered through @signature-params like the rest; nothing more to check.
  }
  return parsed;
}

function integerParam(name: string, value: BareItem): number {
  if (value.type !== 'integer') throw new Rejection('malformed', `parameter "${name}" must be an integer`);
  return value.value;
}

function stringParam(name: string, value: BareItem): string {
  if (value.type !== 'string') throw new Rejection('malformed', `parameter "${name}" must be a string`);
  return value.value;
}

async function checkContentDigest(header: string | undefined, body: Uint8Array): Promise<void> {
  if (!header) throw new Rejection('digest_missing', 'the request has no Content-Digest header');
  const members = parseHeader(header, 'Content-Digest');
  if (members.length === 0) throw new Rejection('digest_missing', 'Content-Digest is empty');
  for (const [algorithm, member] of members) {
    const webCryptoName = DIGEST_ALGORITHMS[algorithm];
    if (webCryptoName === undefined) {
      throw new Rejection('unsupported_digest', `unsupported Content-Digest algorithm "${algorithm}"`);
    }
    if (member.kind !== 'item' || member.value.type !== 'binary') {
      throw new Rejection('malformed', `Content-Digest "${algorithm}" is not a byte sequence`);
    }
    const expected = new Uint8Array(await globalThis.crypto.subtle.digest(webCryptoName, body));
    if (!equalBytes(expected, member.value.value)) {
      throw new Rejection('digest_mismatch', 'the Content-Digest header does not match the body');
    }
  }
}

function componentValue(name: string, method: string, target: RequestTarget, headers: Map<string, string>): string {
  switch (name) {
    case '@method':
      // requests upper-cases the method when the Python receiver prepares its request.
      return method.toUpperCase();
    case '@authority':
      return target.authority;
    case '@target-uri':
      return target.targetUri;
    case '@scheme':
      return target.origin.slice(0, target.origin.indexOf(':'));
    case '@request-target':
      return target.path;
    case '@path': {
      const query = target.path.indexOf('?');
      return query < 0 ? target.path : target.path.slice(0, query);
    }
    case '@query': {
      const query = target.path.indexOf('?');
      return query < 0 ? '?' : target.path.slice(query);
    }
  }
  if (name.startsWith('@')) throw new Rejection('unsupported_component', `component "${name}" is not supported`);
  const value = headers.get(name);
  if (value === undefined) throw new Rejection('component_missing', `covered header "${name}" is absent`);
  return value;
}

/** Lower-case names; values trimmed, repeated fields joined by ", " (RFC 9421 §2.1); CR/LF rejected. */
function normalizeHeaders(headers: VerifyRequest['headers']): Map<string, string> {
  const out = new Map<string, string>();
  const add = (name: string, value: string): void => {
    if (/[\r\n]/.test(value)) throw new Rejection('malformed', `header "${name}" contains a line break`);
    const key = name.toLowerCase();
    const trimmed = value.trim();
    const previous = out.get(key);
    out.set(key, previous === undefined ? trimmed : `${previous}, ${trimmed}`);
  };
  if (isHeaders(headers)) {
    headers.forEach((value, name) => {
      add(name, value);
    });
    return out;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) add(name, v);
    else add(name, value);
  }
  return out;
}

function isHeaders(headers: VerifyRequest['headers']): headers is Headers {
  return typeof (headers as { forEach?: unknown }).forEach === 'function' && typeof (headers as { get?: unknown }).get === 'function';
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

// Ed25519 SubjectPublicKeyInfo (RFC 8410 §4): a fixed 12-byte DER prefix, then the raw 32-byte key.
const SPKI_PREFIX = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

// Resolved keys by source (PEM text, or hex of raw bytes): receivers pass the same keys on every call.
const MAX_CACHED_KEYS = 64;
const resolvedKeys = new Map<string, ResolvedKey>();

async function resolvePublicKeys(options: VerifyOptions): Promise<ResolvedKey[]> {
  if (options.publicKey !== undefined && options.publicKeys !== undefined) {
    throw new TypeError('give publicKey or publicKeys, not both');
  }
  const sources = options.publicKeys ?? (options.publicKey === undefined ? [] : [options.publicKey]);
  if (sources.length === 0) throw new TypeError('verify needs a publicKey or a non-empty publicKeys');
  return Promise.all(sources.map(resolvePublicKey));
}

async function resolvePublicKey(source: VerifyPublicKey): Promise<ResolvedKey> {
  const text = typeof source === 'string' ? source : source instanceof Uint8Array ? undefined : source.public_key_pem;
  if (text !== undefined && typeof text !== 'string') throw new TypeError('public_key_pem must be a string');
  const raw = text === undefined ? Uint8Array.from(source as Uint8Array) : undefined;
  const cacheKey = text ?? `raw:${toHex(raw as Uint8Array)}`;
  const cached = resolvedKeys.get(cacheKey);
  if (cached) return cached;
  const bytes = raw ?? rawFromPem(text as string);
  if (bytes.length !== 32) throw new TypeError('publicKey must be 32 raw bytes or an Ed25519 SPKI PEM');
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-512', bytes));
  const resolved = { raw: bytes, keyid: `sha512:${toHex(digest)}` };
  if (resolvedKeys.size >= MAX_CACHED_KEYS) resolvedKeys.clear();
  resolvedKeys.set(cacheKey, resolved);
  return resolved;
}

/**
 * A time-window option must be a finite number of seconds, 0 or more: every comparison with NaN is
 * false, so a NaN (say, `Number(process.env.MAX_AGE)` of an unset variable) would accept any time.
 */
function checkSecondsOption(name: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${name} must be a finite number of seconds, 0 or more (got ${describeOption(value)})`);
  }
}

/** `now()` (default `Date.now`), which must give finite milliseconds for the same reason. */
function readClock(now: (() => number) | undefined): number {
  const ms = (now ?? Date.now)();
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new TypeError(`now() must return finite milliseconds since the epoch (got ${describeOption(ms)})`);
  }
  return ms;
}

function describeOption(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

function rawFromPem(pem: string): Uint8Array {
  const match = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/.exec(pem);
  if (!match) throw new TypeError('publicKey is not a PEM document');
  if (match[1] !== 'PUBLIC KEY') {
    throw new TypeError(`publicKey must be a "PUBLIC KEY" PEM (SPKI), got "${match[1]}"`);
  }
  const der = decodeBase64((match[2] ?? '').replace(/\s+/g, ''));
  if (!der || der.length !== SPKI_PREFIX.length + 32 || SPKI_PREFIX.some((byte, i) => der[i] !== byte)) {
    throw new TypeError('publicKey is not an Ed25519 public key');
  }
  return der.slice(SPKI_PREFIX.length);
}

/** Every reason {@link verifyStandardWebhook} can give for rejecting a request. */
export const STANDARD_WEBHOOK_FAILURE_REASONS = [
  'missing_headers',
  'malformed',
  'timestamp_too_old',
  'timestamp_in_future',
  'bad_signature',
] as const;

/**
 * Why a request was rejected by {@link verifyStandardWebhook}:
 * - `missing_headers`: `webhook-id`, `webhook-timestamp` or `webhook-signature` is absent or empty.
 * - `malformed`: `webhook-timestamp` is not whole unix seconds, `webhook-id` contains `.`, or a header
 *   contains a line break.
 * - `timestamp_too_old` / `timestamp_in_future`: `webhook-timestamp` is more than `toleranceSeconds` away.
 * - `bad_signature`: no `v1,` signature in `webhook-signature` matches any of the secrets.
 */
export type StandardWebhookFailureReason = (typeof STANDARD_WEBHOOK_FAILURE_REASONS)[number];

/** The received request, as the receiver saw it. */
export interface StandardWebhookRequest {
  /** The request headers (a Fetch `Headers` or Node's `IncomingHttpHeaders`-like record); any casing. */
  headers: VerifyRequest['headers'];
  /** The exact body bytes received (a string is taken as UTF-8). */
  body: Uint8Array | string;
}

/**
 * A webhook secret: `whsec_<base64>` (the decoded bytes are the key), any other string (its UTF-8
 * bytes are the key), or the raw key bytes.
 */
export type StandardWebhookSecret = string | Uint8Array;

/** How to verify: one secret, or several (e.g. the old and the new one while you rotate). */
export type StandardWebhookVerifyOptions = (
  | { secret: StandardWebhookSecret; secrets?: undefined }
  | { secrets: readonly StandardWebhookSecret[]; secret?: undefined }
) & {
  /** Accept a `webhook-timestamp` at most this many seconds before or after `now`. Default 300 (5 min). */
  toleranceSeconds?: number;
  /** Clock, in milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
};

/** The outcome of {@link verifyStandardWebhook}; on success, the id (deduplicate on it) and the timestamp. */
export type StandardWebhookResult =
  | { ok: true; id: string; timestamp: number }
  | { ok: false; reason: StandardWebhookFailureReason; message: string };

const DEFAULT_TOLERANCE_SECONDS = 300;
const STANDARD_WEBHOOK_SECRET_PREFIX = 'whsec_';
const HMAC_SHA256 = { name: 'HMAC', hash: 'SHA-256' } as const;
const HMAC_SHA256_BYTES = 32;
// WebCrypto's CryptoKey, named through the API because the DOM typings are not loaded here.
type HmacKey = Awaited<ReturnType<typeof globalThis.crypto.subtle.importKey>>;

/**
 * Verifies the Standard Webhooks signature of a request (Standard Webhooks specification v1.0.0,
 * "Verifying signatures"; docs/signing.md, Standard Webhooks): HMAC-SHA256 over `"{webhook-id}.{webhook-timestamp}.{body}"`,
 * accepted when any `v1,` signature of the space-separated `webhook-signature` list matches any of the
 * secrets (other versions, such as `v1a`, are ignored), compared in constant time, and only when
 * `webhook-timestamp` is within `toleranceSeconds` of `now`. A rejected request is a result, not an
 * exception. Only trust the body after `ok: true`; deduplicate on `id`.
 *
 * @throws TypeError when no secret is given, a secret is empty, a `whsec_` secret is not padded
 *   standard base64, `toleranceSeconds` is not a finite number ≥ 0, or `now()` does not return a
 *   finite number (configuration errors: a NaN would silently skip the timestamp check)
 */
export async function verifyStandardWebhook(
  request: StandardWebhookRequest,
  options: StandardWebhookVerifyOptions,
): Promise<StandardWebhookResult> {
  checkSecondsOption('toleranceSeconds', options.toleranceSeconds);
  const keys = await importHmacKeys(options.secrets ?? (options.secret === undefined ? [] : [options.secret]));
  let headers: Map<string, string>;
  try {
    headers = normalizeHeaders(request.headers);
  } catch (err) {
    if (err instanceof Rejection) return { ok: false, reason: 'malformed', message: err.message };
    throw err;
  }
  const id = headers.get('webhook-id');
  const timestampHeader = headers.get('webhook-timestamp');
  const signatureHeader = headers.get('webhook-signature');
  if (!id || !timestampHeader || !signatureHeader) {
    return {
      ok: false,
      reason: 'missing_headers',
      message: 'the request needs webhook-id, webhook-timestamp and webhook-signature headers',
    };
  }
  // The spec keeps "." out of the id: it delimits the signed content.
  if (id.includes('.')) return { ok: false, reason: 'malformed', message: 'webhook-id contains "."' };
  if (!/^[0-9]{1,15}$/.test(timestampHeader)) {
    return { ok: false, reason: 'malformed', message: 'webhook-timestamp is not whole unix seconds' };
  }
  const timestamp = Number(timestampHeader);
  // Whole seconds, as the reference library counts them.
  const nowSeconds = Math.floor(readClock(options.now) / 1000);
  const toleranceSeconds = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (timestamp < nowSeconds - toleranceSeconds) {
    return { ok: false, reason: 'timestamp_too_old', message: `webhook-timestamp is more than ${toleranceSeconds} s old` };
  }
  if (timestamp > nowSeconds + toleranceSeconds) {
    return {
      ok: false,
      reason: 'timestamp_in_future',
      message: `webhook-timestamp is more than ${toleranceSeconds} s in the future`,
    };
  }

  const candidates = v1Signatures(signatureHeader);
  if (candidates.length === 0) {
    return { ok: false, reason: 'bad_signature', message: 'webhook-signature has no v1 signature of 32 bytes' };
  }
  const body = typeof request.body === 'string' ? utf8.encode(request.body) : request.body;
  const prefix = utf8.encode(`${id}.${timestampHeader}.`);
  const content = new Uint8Array(prefix.length + body.length);
  content.set(prefix);
  content.set(body, prefix.length);
  for (const key of keys) {
    const expected = new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', key, content));
    for (const candidate of candidates) {
      if (equalBytes(expected, candidate)) return { ok: true, id, timestamp };
    }
  }
  return { ok: false, reason: 'bad_signature', message: 'no v1 signature matches the secret' };
}

/** The decoded `v1,<base64>` entries of a `webhook-signature` list; other versions and junk are skipped. */
function v1Signatures(header: string): Uint8Array[] {
  const signatures: Uint8Array[] = [];
  // Split on any whitespace, and drop a trailing "," left where a repeated header was joined with ", ".
  for (const entry of header.split(/\s+/)) {
    if (!entry.startsWith('v1,')) continue;
    const bytes = decodeBase64(entry.endsWith(',') ? entry.slice(3, -1) : entry.slice(3));
    if (bytes?.length === HMAC_SHA256_BYTES) signatures.push(bytes);
  }
  return signatures;
}

async function importHmacKeys(secrets: readonly StandardWebhookSecret[]): Promise<HmacKey[]> {
  if (secrets.length === 0) throw new TypeError('verifyStandardWebhook needs a secret');
  return Promise.all(
    secrets.map((secret) =>
      globalThis.crypto.subtle.importKey('raw', hmacKeyBytes(secret), HMAC_SHA256, false, ['sign']),
    ),
  );
}

/** The key bytes of a secret, by the same rule as the sender's `decodeSecret`. */
function hmacKeyBytes(secret: StandardWebhookSecret): Uint8Array {
  if (typeof secret !== 'string') {
    if (secret.length === 0) throw new TypeError('a webhook secret cannot be empty');
    return secret;
  }
  if (!secret.startsWith(STANDARD_WEBHOOK_SECRET_PREFIX)) {
    if (secret === '') throw new TypeError('a webhook secret cannot be empty');
    return utf8.encode(secret);
  }
  const bytes = decodeBase64(secret.slice(STANDARD_WEBHOOK_SECRET_PREFIX.length));
  if (bytes === undefined || bytes.length === 0) {
    throw new TypeError('a "whsec_" webhook secret must be followed by non-empty padded standard base64');
  }
  return bytes;
}
