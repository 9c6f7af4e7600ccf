export {
  DEFAULT_MAX_EVENT_BYTES,
  firedEvents,
  MAX_ERROR_MESSAGE_LENGTH,
  REQUEST_STATUSES,
  requestEventSchema,
  validateEvent,
  type RequestEvent,
  type RequestEventInput,
  type RequestStatus,
  type ValidateEventOptions,
  type ValidateEventResult,
} from './schema.js';
export {
  createProducer,
  EVENT_JOB_NAME,
  EVENT_JOB_OPTIONS,
  eventJobId,
  type Producer,
  type ProducerOptions,
  type PublishResult,
} from './producer.js';
