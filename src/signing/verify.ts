/**
 * Receiver-side verification of hookpost deliveries (`hookpost/verify`): checks a request the way the
 * documented UbiOps Python receiver does (requests_http_signature on http_message_signatures, SPEC §4):
 * exactly one signature, the five required components covered, Content-Digest over the body, the
 * `created` window, `expires`, keyid and alg, then the Ed25519 signature (RFC 8032) over the RFC 9421
 * signature base rebuilt from the received request.
 *
 * Runs in any JavaScript runtime (Node, Deno, Bun, browsers, edge workers): it imports nothing from
 * `node:`; it uses WebCrypto (`globalThis.crypto.subtle`) and @noble/ed25519.
 */
import { verifyAsync } from '@noble/ed25519';
import { decodeBase64 } from './base64.js';
import { COVERED_COMPONENTS, SIGNATURE_ALGORITHM, buildSignatureBase } from './signature-base.js';
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
] as const;

/**
 * Why a request was rejected:
 * - `missing_signature`: no Signature or no Signature-Input header.
 * - `multiple_signatures`: more than one signature (hookpost always sends exactly one).
 * - `malformed`: a header is not a valid structured field, labels differ, a parameter has the wrong type,
 *   or the URL cannot be parsed.
 * - `unsupported_component`: a covered component this verifier cannot rebuild (e.g. with `;sf`, `;req`).
 * - `component_missing`: a covered header is absent from the request.
 * - `component_not_covered`: one of `@method @authority @target-uri content-digest date` is not covered.
 * - `digest_missing` / `digest_mismatch` / `unsupported_digest`: Content-Digest absent, wrong, or not sha-512/sha-256.
 * - `created_missing` / `created_too_old` / `created_in_future` / `expired`: the time window.
 * - `keyid_mismatch`: the keyid is absent or names another key.
 * - `unsupported_alg`: `alg` is present and not `ed25519`.
 * - `bad_signature`: the Ed25519 signature does not verify over the rebuilt signature base.
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

/** How to verify. */
export interface VerifyOptions {
  /** hookpost's public key: SPKI PEM (`-----BEGIN PUBLIC KEY-----`) or the raw 32 bytes. */
  publicKey: string | Uint8Array;
  /** Clock, in milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Reject signatures whose `created` is older than this many seconds. Default 86400 (24 h). */
  maxAgeSeconds?: number;
  /** Reject signatures whose `created` is more than this many seconds ahead of `now`. Default 5. */
  maxFutureSeconds?: number;
}

/** The outcome of {@link verify}. */
export type VerifyResult =
  | { ok: true; keyid: string; created: number; label: string }
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
 * Verifies a signed hookpost delivery (SPEC §4; RFC 9421 §3.2, RFC 9530). A rejected request is a
 * result, not an exception: `{ ok: false, reason, message }`. Only verify the body after `ok: true`.
 *
 * @throws TypeError when `options.publicKey` is not an Ed25519 public key (a configuration error)
 */
export async function verify(request: VerifyRequest, options: VerifyOptions): Promise<VerifyResult> {
  const key = await resolvePublicKey(options.publicKey);
  try {
    return await check(request, options, key);
  } catch (err) {
    if (err instanceof Rejection) return { ok: false, reason: err.reason, message: err.message };
    throw err;
  }
}

interface ResolvedKey {
  raw: Uint8Array;
  keyid: string;
}

async function check(request: VerifyRequest, options: VerifyOptions, key: ResolvedKey): Promise<VerifyResult> {
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
  for (const required of COVERED_COMPONENTS) {
    if (!components.includes(required)) {
      throw new Rejection('component_not_covered', `"${required}" is not covered by the signature`);
    }
  }

  const params = signatureParams(input);
  const nowMs = (options.now ?? Date.now)();
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
  if (params.keyid !== key.keyid) {
    throw new Rejection(
      'keyid_mismatch',
      params.keyid === undefined ? 'the signature has no keyid' : `keyid "${params.keyid}" is not the configured key`,
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
  return { ok: true, keyid: key.keyid, created: params.created, label };
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

let cachedKey: { source: string | Uint8Array; resolved: ResolvedKey } | undefined;

async function resolvePublicKey(source: string | Uint8Array): Promise<ResolvedKey> {
  if (cachedKey && sameSource(cachedKey.source, source)) return cachedKey.resolved;
  const raw = typeof source === 'string' ? rawFromPem(source) : Uint8Array.from(source);
  if (raw.length !== 32) throw new TypeError('publicKey must be 32 raw bytes or an Ed25519 SPKI PEM');
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-512', raw));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  const resolved = { raw, keyid: `sha512:${hex}` };
  cachedKey = { source: typeof source === 'string' ? source : Uint8Array.from(source), resolved };
  return resolved;
}

function sameSource(a: string | Uint8Array, b: string | Uint8Array): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return equalBytes(a, b);
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
