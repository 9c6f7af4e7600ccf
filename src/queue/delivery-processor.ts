/**
 * The deliveries queue processor: retries, parked deliveries, webhook tests and re-driven dead
 * letters. The webhook is read from the registry at every attempt (its URL or headers may have
 * changed; a webhook deleted or disabled meanwhile is skipped). Parked jobs are delayed again
 * without using an attempt; failed attempts are retried through BullMQ with the delay decided here.
 */
import { DelayedError, type Job } from 'bullmq';
import type { RequestEvent } from '../events/index.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { WebhookTestConfig, WebhookTestStore } from '../registry/index.js';
import type { Webhook, WebhookEvent } from '../registry/model.js';
import type { Attempter, AttemptResult } from './attempt.js';
import type { DeadLetterStore } from './dead-letters.js';
import { RetryLaterError } from './errors.js';
import type { DeliveriesJobData, DeliveryJobData, WebhookTestJobData } from './jobs.js';
import { settle, settleAndRecord } from './settle.js';

export interface DeliveryProcessorDeps {
  readonly registry: { getById(project: string, id: string): Promise<Webhook | null> };
  readonly webhookTests: WebhookTestStore;
  readonly attempter: Attempter;
  readonly deadLetters: DeadLetterStore;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly retryScheduleMs: readonly number[];
}

/** The request a webhook test sends: a dummy event of the tested kind. */
export function dummyEventOf(test: WebhookTestConfig, testId: string): RequestEvent {
  const stage = test.event.slice(test.event.lastIndexOf('_') + 1);
  const status = stage === 'started' ? 'processing' : stage === 'failed' ? 'failed' : 'completed';
  return {
    project: test.project,
    object_type: test.object_type,
    object_name: test.object_name,
    version: test.version ?? 'default',
    is_default_version: test.version === null,
    request_id: `test-${testId}`,
    status,
    ...(status === 'processing' ? {} : { result: { test: true, message: 'This is a test event from hookpost' } }),
    ...(status === 'failed' ? { error_message: 'This is a test failure from hookpost' } : {}),
  } as RequestEvent;
}

const MAX_PARK_MS = 60_000;

export function createDeliveryProcessor(deps: DeliveryProcessorDeps): (job: Job<DeliveriesJobData>, token?: string) => Promise<void> {
  const { registry, webhookTests, attempter, metrics, logger } = deps;

  /**
   * Parked: delay the same job again; BullMQ does not count it as an attempt. A destination that
   * stays busy is asked less and less often (doubling up to a minute): a dead endpoint with many
   * parked deliveries must not keep the worker busy re-checking them.
   */
  const park = async (job: Job, token: string | undefined, result: AttemptResult & { kind: 'parked' }) => {
    const backoff = 2 ** Math.min(Math.max(job.attemptsStarted - job.attemptsMade - 1, 0), 6);
    await job.moveToDelayed(Date.now() + Math.min(result.retryInMs * backoff, MAX_PARK_MS), token);
    throw new DelayedError();
  };

  const deliver = async (job: Job<DeliveriesJobData>, token: string | undefined, data: DeliveryJobData) => {
    const webhook = await registry.getById(data.project, data.webhookId);
    if (!webhook?.enabled || !webhook.events.includes(data.webhookEvent)) {
      metrics.deliveries.inc({ event: data.webhookEvent, outcome: 'skipped' });
      logger.info(
        { deliveryId: data.deliveryId, webhookId: data.webhookId, reason: webhook ? 'disabled or changed' : 'deleted' },
        'delivery skipped',
      );
      return;
    }
    const failedBefore = data.priorFailures + job.attemptsMade;
    const result = await attempter.attempt({
      deliveryId: data.deliveryId,
      attempt: failedBefore + 1,
      webhookId: webhook.id,
      webhookEvent: data.webhookEvent,
      event: data.event,
      target: webhook,
    });
    if (result.kind === 'parked') return park(job, token, result);
    const next = await settleAndRecord(
      deps,
      {
        deliveryId: data.deliveryId,
        project: data.project,
        webhookId: webhook.id,
        webhookEvent: data.webhookEvent,
        event: data.event,
        attempts: failedBefore + 1,
        outcome: result.outcome,
      },
      webhook.retry,
      deps.retryScheduleMs,
    );
    if (next.action === 'retry') throw new RetryLaterError(result.outcome.message, next.delayMs);
  };

  const test = async (job: Job<DeliveriesJobData>, token: string | undefined, data: WebhookTestJobData) => {
    const config = await webhookTests.getConfig(data.project, data.testId);
    if (!config) {
      logger.info({ testId: data.testId }, 'webhook test expired before it ran');
      return;
    }
    const failedBefore = job.attemptsMade;
    const webhookEvent = config.event as WebhookEvent;
    const result = await attempter.attempt({
      deliveryId: data.deliveryId,
      attempt: failedBefore + 1,
      webhookId: `test:${data.testId}`,
      webhookEvent,
      event: dummyEventOf(config, data.testId),
      target: config,
    });
    if (result.kind === 'parked') return park(job, token, result);
    const { outcome } = result;
    const next = settle(outcome, config.retry, failedBefore + 1, deps.retryScheduleMs);
    if (next.action === 'retry') throw new RetryLaterError(outcome.message, next.delayMs);
    const status = next.action === 'delivered' ? 'completed' : 'failed';
    await webhookTests.finish(data.project, data.testId, status, status === 'completed' ? null : outcome.message);
    metrics.webhookTests.inc({ outcome: status });
  };

  return async (job, token) => {
    const data = job.data;
    if (data.kind === 'test') return test(job, token, data);
    return deliver(job, token, data);
  };
}
