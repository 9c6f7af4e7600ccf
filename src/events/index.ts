export {
  DEFAULT_MAX_EVENT_BYTES,
  firedEvents,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_EVENT_DEPTH,
  REQUEST_STATUSES,
  requestEventSchema,
  validateEvent,
  validatePublishedEvent,
  publishedEvent,
  type RequestEvent,
  type RequestEventInput,
  type RequestStatus,
  type ValidateEventOptions,
  type ValidateEventResult,
  type ValidatePublishedOptions,
} from './schema.js';
export { checkResultText } from './json-text.js';
export {
  createProducer,
  EVENT_JOB_NAME,
  EVENT_JOB_OPTIONS,
  eventJobId,
  type Producer,
  type ProducerOptions,
  type PublishResult,
} from './producer.js';
