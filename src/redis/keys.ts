/**
 * Every Redis key and channel name of hookpost, built under one prefix. Nothing else
 * concatenates key names. Name parts are escaped so that `a:b` + `c` and `a` + `b:c` never collide.
 * On Redis Cluster use a hash-tagged prefix such as `{hookpost}`: all keys then share one slot,
 * which the registry's multi-key transactions need.
 */
const part = (value: string) => encodeURIComponent(value);

export interface Keys {
  readonly prefix: string;
  /** Hash: one webhook record (JSON fields), by project and webhook id. */
  webhook(project: string, webhookId: string): string;
  /** Hash: webhook name → webhook id within a project (name uniqueness). */
  webhookNames(project: string): string;
  /** Set: ids of the webhooks of one object, for one event (the match index). */
  matchIndex(project: string, objectType: string, objectName: string, event: string): string;
  /** Set: ids of the project-wide webhooks of one project, for one event (the project-wide match index). */
  projectMatchIndex(project: string, event: string): string;
  /** String: counter incremented on every registry change. */
  registryVersion(): string;
  /** Pub/sub channel: a JSON notice naming the objects whose webhooks changed. */
  registryChannel(): string;
  /** String: ISO-8601 time a record without timestamps was first read; those records show it. */
  legacyTimestamp(): string;
  /** Hash: one webhook test (status, error and the tested configuration), expires after a day. */
  webhookTest(project: string, testId: string): string;
  /** Set: webhook ids already delivered for one event job (skip them when the job runs again). */
  eventProgress(eventJobId: string): string;
  /** Sorted set: dead-letter delivery ids of a project, scored by failure time. */
  deadLetters(project: string): string;
  /** Hash: one dead-letter delivery (event, webhook id, last error), by delivery id. */
  deadLetter(project: string, deliveryId: string): string;

  // The attempt log (src/attempts/): what was delivered, kept by count per webhook and by age.
  /** Sorted set: delivery ids of a project in the attempt log, scored by last activity (ms). */
  attemptDeliveries(project: string): string;
  /** Hash: one delivery's attempts (`a<n>` fields), its count `n` and its kept event `e`. */
  attemptDelivery(project: string, deliveryId: string): string;
  /** Sorted set: delivery ids of one webhook in the attempt log (the per-webhook cap), by last activity. */
  attemptWebhookIndex(project: string, webhookId: string): string;
  /** Hash: one webhook's delivery health (last success and failure, recent outcomes). */
  attemptWebhookHealth(project: string, webhookId: string): string;
  /**
   * Sorted set: destinations (origins) whose circuit a worker opened, scored by the epoch
   * milliseconds until which it stays open; shared by every worker (src/delivery/shared-health.ts).
   */
  destinationHealth(): string;
  /** Pub/sub channel: a JSON notice when a worker opens or closes a destination's circuit. */
  destinationHealthChannel(): string;
}

export function createKeys(prefix: string): Keys {
  return {
    prefix,
    webhook: (project, webhookId) => `${prefix}:webhook:${part(project)}:${part(webhookId)}`,
    webhookNames: (project) => `${prefix}:webhook-names:${part(project)}`,
    matchIndex: (project, objectType, objectName, event) =>
      `${prefix}:match:${part(project)}:${part(objectType)}:${part(objectName)}:${part(event)}`,
    projectMatchIndex: (project, event) => `${prefix}:match-project:${part(project)}:${part(event)}`,
    registryVersion: () => `${prefix}:registry:version`,
    registryChannel: () => `${prefix}:registry:changes`,
    legacyTimestamp: () => `${prefix}:registry:legacy-timestamp`,
    webhookTest: (project, testId) => `${prefix}:webhook-test:${part(project)}:${part(testId)}`,
    eventProgress: (eventJobId) => `${prefix}:event-progress:${part(eventJobId)}`,
    deadLetters: (project) => `${prefix}:dead-letters:${part(project)}`,
    deadLetter: (project, deliveryId) => `${prefix}:dead-letter:${part(project)}:${part(deliveryId)}`,
    attemptDeliveries: (project) => `${prefix}:attempts:deliveries:${part(project)}`,
    attemptDelivery: (project, deliveryId) => `${prefix}:attempts:delivery:${part(project)}:${part(deliveryId)}`,
    attemptWebhookIndex: (project, webhookId) => `${prefix}:attempts:webhook:${part(project)}:${part(webhookId)}`,
    attemptWebhookHealth: (project, webhookId) => `${prefix}:attempts:health:${part(project)}:${part(webhookId)}`,
    destinationHealth: () => `${prefix}:health`,
    destinationHealthChannel: () => `${prefix}:health:changes`,
  };
}
