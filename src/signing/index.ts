/**
 * Signing: what the delivery path needs to send signed requests (docs/signing.md) and the Standard Webhooks
 * headers (docs/signing.md, Standard Webhooks), the key loader, and the receiver-side verifiers (also published alone as
 * `hookpost/verify`).
 */
export { contentDigest, type DigestAlgorithm } from './content-digest.js';
export {
  LOCAL_KEY_FILE_NAME,
  type LocalSigningKey,
  type PublicKeyInfo,
  loadOrCreateLocalKey,
  loadSigningKey,
  loadSigningKeys,
  publicKeyInfo,
} from './keys.js';
export {
  COVERED_COMPONENTS,
  DELIVERY_ID_COMPONENT,
  PROJECT_COMPONENT,
  REQUIRED_COMPONENTS,
  SIGNATURE_ALGORITHM,
  type SignatureParams,
  buildSignatureBase,
  formatHttpDate,
  serializeSignatureParams,
} from './signature-base.js';
export { type SignOptions, type SignatureHeaders, type Signer, createSigner, keyIdOf } from './signer.js';
export {
  SECRET_ROTATION_OVERLAP_MS,
  STANDARD_WEBHOOK_SECRET_PREFIX,
  type SecretKey,
  type StandardWebhookHeaders,
  type StandardWebhookInput,
  type StoredWebhookSecrets,
  activeSecrets,
  decodeSecret,
  standardWebhookHeaders,
} from './standard-webhooks.js';
export { type RequestTarget, requestTarget } from './target.js';
export {
  STANDARD_WEBHOOK_FAILURE_REASONS,
  type StandardWebhookFailureReason,
  type StandardWebhookRequest,
  type StandardWebhookResult,
  type StandardWebhookSecret,
  type StandardWebhookVerifyOptions,
  VERIFY_FAILURE_REASONS,
  type VerifyFailureReason,
  type VerifyOptions,
  type VerifyPublicKey,
  type VerifyRequest,
  type VerifyResult,
  verify,
  verifyStandardWebhook,
} from './verify.js';
