/**
 * Signs deliveries with Ed25519 as HTTP Message Signatures (RFC 9421) over a Content-Digest (RFC 9530),
 * in the form the documented UbiOps Python receiver verifies (SPEC §4).
 */
import { type KeyObject, createPublicKey, hash, sign as signBytes } from 'node:crypto';
import { ErrorCode, HookpostError } from '../errors.js';
import { type DigestAlgorithm, contentDigest } from './content-digest.js';
import {
  COVERED_COMPONENTS,
  SIGNATURE_ALGORITHM,
  formatHttpDate,
  serializeSignatureParams,
} from './signature-base.js';
import { isKey } from './structured-fields.js';
import type { RequestTarget } from './target.js';

/** Per-call signing options; the defaults produce SPEC §4's headers. */
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
}

/** The headers a signed delivery carries besides Content-Type and Content-Length (SPEC §4). */
export interface SignatureHeaders {
  'content-digest': string;
  /** IMF-fixdate of `created`. */
  date: string;
  'signature-input': string;
  signature: string;
}

/** Signs deliveries with one Ed25519 key. */
export interface Signer {
  /** `sha512:` + lower-case hex SHA-512 of the raw public key. */
  readonly keyid: string;
  /** The public key as SPKI PEM, for receivers. */
  readonly publicKeyPem: string;
  /**
   * Signs one request. Call it for every attempt: `created` must be fresh (receivers reject > 24 h).
   * @param method - the request method exactly as sent (upper case, e.g. `POST`)
   * @param target - from {@link requestTarget}; the request must be sent to `target.origin` + `target.path`
   *   with `Host: target.authority`
   * @param body - the exact body bytes sent
   * @throws HookpostError SIGNING_FAILED for invalid options (label, nonce, non-integer times)
   */
  sign(method: string, target: RequestTarget, body: Uint8Array, options?: SignOptions): SignatureHeaders;
}

const DEFAULT_LABEL = 'pyhms';

/**
 * Creates a signer for an Ed25519 private key. The KeyObject is used as is on every call: parsing a
 * PEM per signature is about 12x slower (BENCH-NOTES).
 * @throws HookpostError SIGNING_KEY_PUBLIC or SIGNING_KEY_WRONG_TYPE when the key is not an Ed25519 private key
 */
export function createSigner(privateKey: KeyObject): Signer {
  if (privateKey.type !== 'private') {
    throw new HookpostError(ErrorCode.SIGNING_KEY_PUBLIC, 'createSigner needs an Ed25519 private key, not a public key');
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new HookpostError(
      ErrorCode.SIGNING_KEY_WRONG_TYPE,
      `createSigner needs an Ed25519 private key, got ${privateKey.asymmetricKeyType ?? 'an unknown key type'}`,
    );
  }
  const publicKey = createPublicKey(privateKey);
  const keyid = keyIdOf(rawPublicKey(publicKey));
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

  // Date and signature parameters change once a second: make them once per `created`.
  let lastCreated = Number.NaN;
  let lastDate = '';
  let lastParams = '';
  const signatureParamsFor = (created: number, expires: number | undefined, nonce: string | undefined): string => {
    try {
      return serializeSignatureParams(COVERED_COMPONENTS, { created, keyid, alg: SIGNATURE_ALGORITHM, expires, nonce });
    } catch (err) {
      throw signingFailed(err instanceof Error ? err.message : String(err));
    }
  };

  /** Everything but the signature itself: digest, Date, parameters and the signature base. */
  const prepare = (method: string, target: RequestTarget, body: Uint8Array, options: SignOptions | undefined) => {
    const created = options?.created ?? Math.floor(Date.now() / 1000);
    const label = options?.label ?? DEFAULT_LABEL;
    if (label !== DEFAULT_LABEL && !isKey(label)) throw signingFailed(`label "${label}" is not an RFC 8941 key`);
    const digest = contentDigest(body, options?.digestAlgorithm ?? 'sha-512');
    if (created !== lastCreated) {
      lastParams = signatureParamsFor(created, undefined, undefined);
      lastDate = formatHttpDate(created);
      lastCreated = created;
    }
    const date = lastDate;
    const params =
      options?.expires === undefined && options?.nonce === undefined
        ? lastParams
        : signatureParamsFor(created, options.expires, options.nonce);
    // buildSignatureBase() specialised to COVERED_COMPONENTS, without per-call arrays (the tests check
    // both against the vectors' signature bases).
    const base = `"@method": ${method}\n"@authority": ${target.authority}\n"@target-uri": ${target.targetUri}\n"content-digest": ${digest}\n"date": ${date}\n"@signature-params": ${params}`;
    return { label, digest, date, params, base: Buffer.from(base, 'utf8') };
  };
  const headersOf = (p: ReturnType<typeof prepare>, signature: Buffer): SignatureHeaders => ({
    'content-digest': p.digest,
    date: p.date,
    'signature-input': `${p.label}=${p.params}`,
    signature: `${p.label}=:${signature.toString('base64')}:`,
  });

  return {
    keyid,
    publicKeyPem,
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
