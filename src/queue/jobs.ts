/**
 * Queue names, job data and job options of the delivery engine. Job data carries ids and the
 * producer's event, never header values or tokens: those are read from the registry per attempt.
 */
import { hash } from 'node:crypto';
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import { type RequestEvent, checkResultText, validateEvent } from '../events/index.js';
import { retryJobOptions } from '../retry/index.js';
import { LIFECYCLE_STAGES, OBJECT_TYPES, type WebhookEvent } from '../registry/model.js';

/** Queue of retries, parked deliveries, webhook tests and re-driven dead letters. */
export const DELIVERIES_QUEUE = 'deliveries';

/** A delivery of one event to one webhook, off the fast path. */
export interface DeliveryJobData {
  readonly kind: 'delivery';
  readonly deliveryId: string;
  readonly project: string;
  readonly webhookId: string;
  readonly webhookEvent: WebhookEvent;
  readonly event: RequestEvent;
  /** Failed attempts made outside BullMQ's count: before this job was created, or while detached. */
  readonly priorFailures: number;
  /** When the delivery was handed to this queue (ms since the epoch), for the wait-time metric. */
  readonly handedOffAt?: number;
}

/** A webhook test (POST /webhooks-tests); its configuration, headers included, stays in Redis. */
export interface WebhookTestJobData {
  readonly kind: 'test';
  readonly deliveryId: string;
  readonly project: string;
  readonly testId: string;
  /** Failed attempts made while detached (outside BullMQ's count). */
  readonly priorFailures?: number;
}

export type DeliveriesJobData = DeliveryJobData | WebhookTestJobData;

const WEBHOOK_EVENTS = OBJECT_TYPES.flatMap((type) => LIFECYCLE_STAGES.map((stage) => `${type}_request_${stage}`));
const id = z.string().min(1).max(256);
const priorFailures = z.number().int().min(0).max(1_000);
const deliveriesJobSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('delivery'),
    deliveryId: id,
    project: id,
    webhookId: id,
    webhookEvent: z.enum(WEBHOOK_EVENTS as [WebhookEvent, ...WebhookEvent[]]),
    event: z.unknown(),
    priorFailures,
    handedOffAt: z.number().optional(),
  }),
  z.object({ kind: z.literal('test'), deliveryId: id, project: id, testId: id, priorFailures: priorFailures.optional() }),
]);

/**
 * Checks a deliveries job's data (any BullMQ client can write to the queue): the data, or why it
 * cannot be processed ("webhookEvent: ...", "event: ...").
 */
export function readDeliveriesJob(data: unknown): { ok: true; data: DeliveriesJobData } | { ok: false; error: string } {
  const parsed = deliveriesJobSchema.safeParse(data);
  if (!parsed.success) {
    return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || 'data'}: ${i.message}`).join('; ') };
  }
  if (parsed.data.kind === 'test') return { ok: true, data: parsed.data };
  // An event read from the events queue carries its result as the producer's JSON text (result_json),
  // which the schema does not know: checked on its own, then put back.
  const carried = parsed.data.event;
  const fields = typeof carried === 'object' && carried !== null ? (carried as Record<string, unknown>) : undefined;
  const resultJson = fields?.['result_json'];
  const event = validateEvent(resultJson === undefined ? carried : { ...fields, result_json: undefined });
  if (!event.ok) return { ok: false, error: `event: ${event.error}` };
  if (resultJson === undefined) return { ok: true, data: { ...parsed.data, event: event.event } };
  const problem = checkResultText(resultJson);
  if (problem !== undefined) return { ok: false, error: `event: ${problem}` };
  const { result: _parsed, ...valid } = event.event;
  return { ok: true, data: { ...parsed.data, event: { ...valid, result_json: resultJson as string } } };
}

/**
 * The delivery id: stable across retries and across a re-run of the same event job, so receivers
 * can deduplicate. A UUID-shaped digest of the event job id, the webhook id and the fired event (a
 * webhook subscribed to both `_completed` and `_finished` gets two deliveries of one transition).
 */
export function deliveryIdOf(eventJobId: string, webhookId: string, webhookEvent: WebhookEvent): string {
  const h = hash('sha256', `${eventJobId}\n${webhookId}\n${webhookEvent}`, 'hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((Number.parseInt(h.slice(16, 17), 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Options of a deliveries job. The job id is the delivery id, so adding the same delivery twice
 * (an event job that runs again after a crash) keeps one job. Its retries follow the retry policy
 * (retry/bullmq.ts).
 */
export function deliveryJobOptions(jobId: string, delayMs: number, retrySchedule: readonly number[]): JobsOptions {
  return {
    jobId,
    delay: Math.max(0, Math.round(delayMs)),
    ...retryJobOptions(retrySchedule),
    removeOnComplete: true,
    removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
  };
}
