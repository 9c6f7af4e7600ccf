/**
 * Queue names, job data and job options of the delivery engine. Job data carries ids and the
 * producer's event, never header values or tokens: those are read from the registry per attempt.
 */
import { hash } from 'node:crypto';
import type { JobsOptions } from 'bullmq';
import type { RequestEvent } from '../events/index.js';
import type { WebhookEvent } from '../registry/model.js';

/** Queue of retries, parked deliveries, webhook tests and re-driven dead letters. */
export const DELIVERIES_QUEUE = 'deliveries';

/** BullMQ backoff type whose delay the delivery processor decides (see retry/policy.ts). */
export const BACKOFF_TYPE = 'hookpost';

/** A delivery of one event to one webhook, off the fast path. */
export interface DeliveryJobData {
  readonly kind: 'delivery';
  readonly deliveryId: string;
  readonly project: string;
  readonly webhookId: string;
  readonly webhookEvent: WebhookEvent;
  readonly event: RequestEvent;
  /** Failed attempts made before this job was created (0 for a parked first attempt). */
  readonly priorFailures: number;
}

/** A webhook test (POST /webhooks-tests); its configuration, headers included, stays in Redis. */
export interface WebhookTestJobData {
  readonly kind: 'test';
  readonly deliveryId: string;
  readonly project: string;
  readonly testId: string;
}

export type DeliveriesJobData = DeliveryJobData | WebhookTestJobData;

/**
 * The delivery id: stable across retries and across a re-run of the same event job, so receivers
 * can deduplicate. A UUID-shaped digest of the event job id and the webhook id.
 */
export function deliveryIdOf(eventJobId: string, webhookId: string): string {
  const h = hash('sha256', `${eventJobId}\n${webhookId}`, 'hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((Number.parseInt(h.slice(16, 17), 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Options of a deliveries job. The job id is the delivery id, so adding the same delivery twice
 * (an event job that runs again after a crash) keeps one job. `attempts` only bounds BullMQ: the
 * processor decides, per the webhook's `retry` and the schedule, whether a failure is retried.
 */
export function deliveryJobOptions(jobId: string, delayMs: number, retrySchedule: readonly number[]): JobsOptions {
  return {
    jobId,
    delay: Math.max(0, Math.round(delayMs)),
    attempts: retrySchedule.length + 1,
    backoff: { type: BACKOFF_TYPE },
    removeOnComplete: true,
    removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
  };
}
