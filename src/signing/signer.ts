/**
 * Signs deliveries with Ed25519 as HTTP Message Signatures (RFC 9421) over a Content-Digest (RFC 9530),
 * in the form the documented UbiOps Python receiver verifies (docs/signing.md).
 */
import { type KeyObject, createPublicKey, hash, sign as signBytes } from 'node:crypto';
import { ErrorCode, HookpostError } from '../errors.js';
import { type DigestAlgorithm, contentDigest } from './content-digest.js';
import {
  DELIVERY_ID_COMPONENT,
  PROJECT_COMPONENT,
  REQUIRED_COMPONENTS,
  SIGNATURE_ALGORITHM,
  formatHttpDate,
  serializeSignatureParams,
} from './signature-base.js';
import { isKey } from './structured-fields.js';
import type { RequestTarget } from './target.js';

/** Per-call signing options; the defaults produce docs/signing.md's headers. */
export interface SignOptions {
  /** Creation time, unix seconds. Default: `Math.floor(Date.now() / 1000)`, so never ahead of the clock. */
  created?: number;
  /** Signature label (an RFC 8941 key). Default `'pyhms'`. */
  label?: string;
  /** Content-Digest algorithm. Default `'sha-512'`. */
  digestAlgorithm?: DigestAlgorithm;
  /** Optional `expires` parameter, unix seconds. */
  expires?: number;
  /** Optional `nonce` parameter (printable ASCII). */
  nonce?: string;
  /**
   * The delivery id: sent as `Hookpost-Delivery-Id` and covered by the signature (printable ASCII).
   * Without it the signature covers the five required components only, as releases before did.
   */
  deliveryId?: string;
  /** The project the delivery belongs to: sent as `Hookpost-Project` and covered (printable ASCII). */
  project?: string;
}

/** The headers a signed delivery carries besides Content-Type and Content-Length (docs/signing.md). */
export interface SignatureHeaders {
  'content-digest': string;
  /** IMF-fixdate of `created`. */
  date: string;
  'signature-input': string;
  signature: string;
  /** {@link SignOptions.deliveryId}, when given: send it exactly so, it is signed. */
  'hookpost-delivery-id'?: string;
  /** {@link SignOptions.project}, when given: send it exactly so, it is signed. */
  'hookpost-project'?: string;
}

/** What receivers need to verify deliveries; safe to publish. */
export interface PublicKeyInfo {
  alg: 'ed25519';
  /** `sha512:` + lower-case hex SHA-512 of the raw public key, as in Signature-Input. */
  keyid: string;
  /** SPKI PEM. */
  public_key_pem: string;
}

/**
 * Signs deliveries with the current Ed25519 key (the first one it was given). The other keys are
 * only published, so receivers can trust the next key before it signs (rotation without downtime).
 */
export interface Signer {
  /** The current key's id: `sha512:` + lower-case hex SHA-512 of the raw public key. */
  readonly keyid: string;
  /** The current key's public key as SPKI PEM, for receivers. */
  readonly publicKeyPem: string;
  /** Every configured key's public half, the current (signing) key first. */
  readonly publicKeys: readonly PublicKeyInfo[];
  /**
   * Signs one request. Call it for every attempt: `created` must be fresh (receivers reject > 24 h).
   * @param method - the request method exactly as sent (upper case, e.g. `POST`)
   * @param target - from {@link requestTarget}; the request must be sent to `target.origin` + `target.path`
   *   with `Host: target.authority`
   * @param body - the exact body bytes sent
   * @throws HookpostError SIGNING_FAILED for invalid options (label, nonce, deliveryId, project, non-integer times)
   */
  sign(method: string, target: RequestTarget, body: Uint8Array, options?: SignOptions): SignatureHeaders;
}

const DEFAULT_LABEL = 'pyhms';

/** The covered components by shape: bit 1 the delivery id, bit 2 the project. */
const COMPONENT_LISTS: ReadonlyArray<readonly string[]> = [
  REQUIRED_COMPONENTS,
  [...REQUIRED_COMPONENTS, DELIVERY_ID_COMPONENT],
  [...REQUIRED_COMPONENTS, PROJECT_COMPONENT],
  [...REQUIRED_COMPONENTS, DELIVERY_ID_COMPONENT, PROJECT_COMPONENT],
];

/** A header value to sign: printable ASCII without surrounding spaces, so it is sent and read back unchanged. */
const HEADER_VALUE_RE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

function headerValue(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!HEADER_VALUE_RE.test(value)) {
    throw signingFailed(`${name} must be printable ASCII without leading or trailing spaces`);
  }
  return value;
}

/**
 * Creates a signer for one Ed25519 private key, or for several (rotation): the first signs, every one
 * is listed in {@link Signer.publicKeys}. The KeyObject is used as is on every call: parsing a PEM per
 * signature is about 12x slower (bench/RESULTS.md).
 * @throws HookpostError SIGNING_KEY_PUBLIC or SIGNING_KEY_WRONG_TYPE when a key is not an Ed25519
 *   private key; SIGNING_KEY_INVALID for no key, or the same key twice
 */
export function createSigner(keys: KeyObject | readonly KeyObject[]): Signer {
  const all = Array.isArray(keys) ? (keys as readonly KeyObject[]) : [keys as KeyObject];
  const privateKey = all[0];
  if (privateKey === undefined) throw new HookpostError(ErrorCode.SIGNING_KEY_INVALID, 'createSigner needs at least one key');
  const publicKeys = all.map((key) => {
    if (key.type !== 'private') {
      throw new HookpostError(ErrorCode.SIGNING_KEY_PUBLIC, 'createSigner needs Ed25519 private keys, not public keys');
    }
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new HookpostError(
        ErrorCode.SIGNING_KEY_WRONG_TYPE,
        `createSigner needs Ed25519 private keys, got ${key.asymmetricKeyType ?? 'an unknown key type'}`,
      );
    }
    const publicKey = createPublicKey(key);
    return Object.freeze({
      alg: SIGNATURE_ALGORITHM,
      keyid: keyIdOf(rawPublicKey(publicKey)),
      public_key_pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    });
  });
  if (new Set(publicKeys.map((k) => k.keyid)).size !== publicKeys.length) {
    throw new HookpostError(ErrorCode.SIGNING_KEY_INVALID, 'the same signing key is configured twice');
  }
  const { keyid, public_key_pem: publicKeyPem } = publicKeys[0] as PublicKeyInfo;

  // Date and signature parameters change once a second: make them once per `created` (and per
  // component list: with or without the delivery id and project).
  let lastCreated = Number.NaN;
  let lastDate = '';
  /** Signature parameters of `lastCreated`, by component list ({@link COMPONENT_LISTS} index). */
  const lastParams: Array<string | undefined> = [];
  const signatureParamsFor = (
    components: readonly string[],
    created: number,
    expires: number | undefined,
    nonce: string | undefined,
  ): string => {
    try {
      return serializeSignatureParams(components, { created, keyid, alg: SIGNATURE_ALGORITHM, expires, nonce });
    } catch (err) {
      throw signingFailed(err instanceof Error ? err.message : String(err));
    }
  };

  /** Everything but the signature itself: digest, Date, parameters and the signature base. */
  const prepare = (method: string, target: RequestTarget, body: Uint8Array, options: SignOptions | undefined) => {
    const created = options?.created ?? Math.floor(Date.now() / 1000);
    const label = options?.label ?? DEFAULT_LABEL;
    if (label !== DEFAULT_LABEL && !isKey(label)) throw signingFailed(`label "${label}" is not an RFC 8941 key`);
    const deliveryId = headerValue('deliveryId', options?.deliveryId);
    const project = headerValue('project', options?.project);
    const shape = (deliveryId === undefined ? 0 : 1) + (project === undefined ? 0 : 2);
    const components = COMPONENT_LISTS[shape] as readonly string[];
    const digest = contentDigest(body, options?.digestAlgorithm ?? 'sha-512');
    if (created !== lastCreated) {
      lastParams.length = 0;
      lastDate = formatHttpDate(created);
      lastCreated = created;
    }
    const date = lastDate;
    let params: string;
    if (options?.expires === undefined && options?.nonce === undefined) {
      params = lastParams[shape] ?? signatureParamsFor(components, created, undefined, undefined);
      lastParams[shape] = params;
    } else {
      params = signatureParamsFor(components, created, options.expires, options.nonce);
    }
    // buildSignatureBase() specialised to these components, without per-call arrays (the tests check
    // both against the vectors' signature bases).
    let base = `"@method": ${method}\n"@authority": ${target.authority}\n"@target-uri": ${target.targetUri}\n"content-digest": ${digest}\n"date": ${date}\n`;
    if (deliveryId !== undefined) base += `"${DELIVERY_ID_COMPONENT}": ${deliveryId}\n`;
    if (project !== undefined) base += `"${PROJECT_COMPONENT}": ${project}\n`;
    base += `"@signature-params": ${params}`;
    return { label, digest, date, params, deliveryId, project, base: Buffer.from(base, 'utf8') };
  };
  const headersOf = (p: ReturnType<typeof prepare>, signature: Buffer): SignatureHeaders => {
    const headers: SignatureHeaders = {
      'content-digest': p.digest,
      date: p.date,
      'signature-input': `${p.label}=${p.params}`,
      signature: `${p.label}=:${signature.toString('base64')}:`,
    };
    if (p.deliveryId !== undefined) headers[DELIVERY_ID_COMPONENT] = p.deliveryId;
    if (p.project !== undefined) headers[PROJECT_COMPONENT] = p.project;
    return headers;
  };

  return {
    keyid,
    publicKeyPem,
    publicKeys: Object.freeze(publicKeys),
    sign(method, target, body, options) {
      const p = prepare(method, target, body, options);
      return headersOf(p, signBytes(null, p.base, privateKey));
    },
  };
}

/**
 * The key id of an Ed25519 public key: `sha512:` + lower-case hex SHA-512 of the raw 32-byte key
 * (as the documented receiver's key resolver computes it).
 */
export function keyIdOf(rawPublicKey: Uint8Array): string {
  if (rawPublicKey.length !== 32) throw new TypeError('an Ed25519 raw public key is 32 bytes');
  return `sha512:${hash('sha512', rawPublicKey, 'hex')}`;
}

/** The raw 32-byte public key of an Ed25519 KeyObject (public, or private from which it is derived). */
export function rawPublicKey(key: KeyObject): Uint8Array {
  const jwk = publicKeyOf(key).export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new HookpostError(ErrorCode.SIGNING_KEY_WRONG_TYPE, 'expected an Ed25519 key');
  }
  return Buffer.from(jwk.x, 'base64url');
}

/** The public KeyObject of a key pair, given either half. */
export function publicKeyOf(key: KeyObject): KeyObject {
  return key.type === 'public' ? key : createPublicKey(key);
}

function signingFailed(message: string): HookpostError {
  return new HookpostError(ErrorCode.SIGNING_FAILED, `cannot sign delivery: ${message}`);
}
