/**
 * Signing: what the delivery path needs to send signed requests (SPEC §4), the key loader, and the
 * receiver-side verifier (also published alone as `hookpost/verify`).
 */
export { contentDigest, type DigestAlgorithm } from './content-digest.js';
export {
  LOCAL_KEY_FILE_NAME,
  type LocalSigningKey,
  type PublicKeyInfo,
  loadOrCreateLocalKey,
  loadSigningKey,
  publicKeyInfo,
} from './keys.js';
export {
  COVERED_COMPONENTS,
  SIGNATURE_ALGORITHM,
  type SignatureParams,
  buildSignatureBase,
  formatHttpDate,
  serializeSignatureParams,
} from './signature-base.js';
export { type SignOptions, type SignatureHeaders, type Signer, createSigner, keyIdOf } from './signer.js';
export { type RequestTarget, requestTarget } from './target.js';
export {
  VERIFY_FAILURE_REASONS,
  type VerifyFailureReason,
  type VerifyOptions,
  type VerifyRequest,
  type VerifyResult,
  verify,
} from './verify.js';
