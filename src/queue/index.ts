/** The delivery queues: job data, processors, workers, and the work other parts hand to the deliveries queue. */
export { createDeliveryProcessor } from './delivery-processor.js';
export { enqueueWebhookTest, redriveDeadLetter } from './enqueue.js';
export { createEventProcessor } from './event-processor.js';
export { createEventsQueues, type EventsQueues } from './events-queues.js';
export { DELIVERIES_QUEUE, type DeliveriesJobData, type DeliveryJobData, type WebhookTestJobData } from './jobs.js';
export { redeliver, redriveDeadLetters, type RedeliverDeps } from './redeliver.js';
export { mergeSnapshots, snapshotQueue } from './snapshots.js';
export { GuardedWorker } from './worker.js';
