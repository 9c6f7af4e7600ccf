/**
 * hookpost's public API: the producer (push request events), the receiver-side verifier, the event
 * schema, configuration and errors. Everything else is internal.
 */
export { ErrorCode, HookpostError, hasCode } from './errors.js';
export { loadConfig, type Config, type LoadConfigOptions } from '../config/index.js';
export {
  createProducer,
  eventJobId,
  firedEvents,
  MAX_EVENT_DEPTH,
  validateEvent,
  type Producer,
  type ProducerOptions,
  type RequestEvent,
  type RequestEventInput,
} from './events/index.js';
export {
  verify,
  VERIFY_FAILURE_REASONS,
  type VerifyFailureReason,
  type VerifyOptions,
  type VerifyPublicKey,
  type VerifyRequest,
  type VerifyResult,
  verifyStandardWebhook,
  STANDARD_WEBHOOK_FAILURE_REASONS,
  type StandardWebhookFailureReason,
  type StandardWebhookRequest,
  type StandardWebhookResult,
  type StandardWebhookSecret,
  type StandardWebhookVerifyOptions,
} from './signing/verify.js';
export type { ObjectType, Webhook, WebhookEvent, WebhookHeader } from './registry/model.js';
