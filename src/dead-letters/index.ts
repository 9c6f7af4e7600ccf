/**
 * Dead letters: deliveries whose attempts are exhausted (or that were refused), kept a week to be
 * inspected and re-driven. Their own store, apart from the attempt log (which can be switched off
 * and keeps other things for another time); the queue writes them, the API reads them.
 */
export {
  createDeadLetterStore,
  type DeadLetter,
  type DeadLetterStore,
  type DeadLetterStoreOptions,
  type RedriveFilter,
} from './store.js';
