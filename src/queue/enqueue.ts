/**
 * Work the API hands to the deliveries queue: webhook tests and re-driven dead letters.
 */
import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Config } from '../../config/index.js';
import type { DeadLetter, DeadLetterStore } from '../dead-letters/index.js';
import { type DeliveriesJobData, deliveryJobOptions } from './jobs.js';

interface EnqueueDeps {
  readonly config: Pick<Config, 'retryScheduleMs'>;
  readonly deliveries: Queue<DeliveriesJobData>;
}

/** Queues a stored webhook test; the job carries ids only (the test's headers stay in Redis). */
export async function enqueueWebhookTest(deps: EnqueueDeps, project: string, testId: string): Promise<void> {
  await deps.deliveries.add(
    'webhook-test',
    { kind: 'test', deliveryId: randomUUID(), project, testId },
    deliveryJobOptions(`test.${testId}`, 0, deps.config.retryScheduleMs),
  );
}

/**
 * Sends a dead letter again with a fresh set of attempts and the same delivery id (receivers that
 * already saw it can deduplicate). Returns null when there is no such dead letter.
 */
export async function redriveDeadLetter(
  deps: EnqueueDeps & { readonly deadLetters: DeadLetterStore },
  project: string,
  deliveryId: string,
): Promise<DeadLetter | null> {
  const letter = await deps.deadLetters.get(project, deliveryId);
  if (!letter) return null;
  await deps.deliveries.add(
    'delivery',
    {
      kind: 'delivery',
      deliveryId: letter.deliveryId,
      project: letter.project,
      webhookId: letter.webhookId,
      webhookEvent: letter.webhookEvent,
      event: letter.event,
      priorFailures: 0,
    },
    // Its own job id: the original delivery's job may still be retained.
    deliveryJobOptions(`${letter.deliveryId}.redrive.${Date.now()}`, 0, deps.config.retryScheduleMs),
  );
  await deps.deadLetters.remove(project, deliveryId);
  return letter;
}
