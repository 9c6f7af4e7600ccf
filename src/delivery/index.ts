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
  type DestinationGate,
  type DestinationGateOptions,
  type GateState,
} from './destination-gate.js';
