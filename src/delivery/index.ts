export {
  createDeliveryClient,
  type AttemptOutcome,
  type DeliveryClient,
  type DeliveryClientOptions,
  type DeliveryRequest,
} from './client.js';
export {
  checkUrl,
  createGuardedLookup,
  DestinationRefusedError,
  isDisallowedAddress,
  type DestinationPolicy,
  type GuardedLookup,
} from './destination-guard.js';
export {
  createDestinationGate,
  type AcquireResult,
  type AttemptReport,
  type DestinationGate,
  type GateStats,
  type OpenReason,
  type TransitionReason,
  type DestinationGateOptions,
  GATE_STATES,
  type GateState,
} from './destination-gate.js';
export {
  ABANDONED,
  createDeliveryPipeline,
  type AttemptRequest,
  type AttemptResult,
  type DeliveryPipeline,
  type DeliveryTarget,
  type InFlightStats,
  type ParkReason,
  type Payload,
  type PayloadSource,
  type PipelineOptions,
} from './pipeline.js';
export {
  CLIENT_OWNED_HEADERS,
  DELIVERY_ID_HEADER,
  OWNED_HEADERS,
  PIPELINE_OWNED_HEADERS,
  isOwnedHeader,
} from './owned-headers.js';
export { createSharedHealth, type SharedHealth, type SharedHealthOptions } from './shared-health.js';
export {
  defaultSignatureSchemes,
  RFC9421_HEADERS,
  rfc9421Scheme,
  STANDARD_WEBHOOKS_HEADERS,
  standardWebhooksScheme,
  type SignatureScheme,
  type SignedAttempt,
} from './signature-schemes.js';
