/** The attempt log: what was delivered, per attempt, bounded by count per webhook and by age. */
export { eventForRedelivery, parseKeptEvent, serializeKeptEvent } from './kept-event.js';
export * from './model.js';
export {
  createAttemptLogReader,
  decodeCursor,
  type AttemptAggregate,
  type AttemptLogReader,
  type DeliveryPage,
  type DeliveryQuery,
  type StatsWindow,
  type WebhookStats,
  type WindowStats,
} from './reader.js';
export {
  createAttemptLogWriter,
  DEFAULT_RETENTION,
  DISABLED_ATTEMPT_LOG,
  type AttemptLogRetention,
  type AttemptLogWriter,
  type AttemptLogWriterOptions,
} from './writer.js';
