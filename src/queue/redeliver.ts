/**
 * Sending a delivery again from what the log (or the dead letters) kept: same delivery id, fresh
 * attempts, through the deliveries queue like any retry.
 */
import type { Queue } from 'bullmq';
import { type AttemptLogReader, type RedeliverResult, eventForRedelivery } from '../attempts/index.js';
import type { DeadLetterStore, RedriveFilter } from '../dead-letters/index.js';
import { redriveDeadLetter } from './enqueue.js';
import { type DeliveriesJobData, deliveryJobOptions } from './jobs.js';

export interface RedeliverDeps {
  readonly attempts: AttemptLogReader;
  readonly deadLetters: DeadLetterStore;
  readonly deliveries: Queue<DeliveriesJobData>;
  readonly config: { readonly retryScheduleMs: readonly number[] };
}

/**
 * Queues the delivery again. A dead letter is re-driven from its record (which keeps the whole
 * event) and leaves the dead letters; any other delivery is sent with the event the log kept.
 */
export async function redeliver(deps: RedeliverDeps, project: string, deliveryId: string): Promise<RedeliverResult> {
  if (await redriveDeadLetter(deps, project, deliveryId)) return 'queued';
  const detail = await deps.attempts.get(project, deliveryId);
  if (!detail) return 'not_found';
  const kept = await deps.attempts.event(project, deliveryId);
  if (!kept) return 'event_gone';
  await deps.deliveries.add(
    'delivery',
    {
      kind: 'delivery',
      deliveryId,
      project,
      webhookId: detail.latest.webhookId,
      webhookEvent: detail.latest.event,
      event: eventForRedelivery(kept),
      priorFailures: 0,
      handedOffAt: Date.now(),
    },
    // Its own job id: the delivery's own job may still be waiting for a retry.
    deliveryJobOptions(`${deliveryId}.redeliver.${Date.now()}`, 0, deps.config.retryScheduleMs),
  );
  return 'queued';
}

/** Dead letters read at most per bulk re-drive (the store keeps 10,000 per project by default). */
const MAX_SCANNED = 10_000;
const PAGE = 500;

/** Re-drives a project's dead letters that match; says how many it queued and how many match still. */
export async function redriveDeadLetters(
  deps: Omit<RedeliverDeps, 'attempts'>,
  project: string,
  filter: RedriveFilter,
): Promise<{ queued: number; remaining: number }> {
  const matching: string[] = [];
  for (let offset = 0; offset < MAX_SCANNED; offset += PAGE) {
    const page = await deps.deadLetters.list(project, { limit: PAGE, offset });
    for (const letter of page) {
      if (filter.webhookId !== undefined && letter.webhookId !== filter.webhookId) continue;
      if (filter.since !== undefined && Date.parse(letter.failedAt) < filter.since) continue;
      matching.push(letter.deliveryId);
    }
    if (page.length < PAGE) break;
  }
  let queued = 0;
  for (const deliveryId of matching.slice(0, filter.limit)) {
    if (await redriveDeadLetter(deps, project, deliveryId)) queued++;
  }
  return { queued, remaining: Math.max(0, matching.length - filter.limit) };
}
