/**
 * The deliveries queue processor: retries, parked deliveries, placeholders of detached attempts,
 * webhook tests and re-driven dead letters. The webhook is read from the registry at every attempt
 * (its URL or headers may have changed; a webhook deleted or disabled meanwhile is skipped). It takes
 * a job, asks the delivery pipeline, and settles: parked jobs are delayed again without using an
 * attempt, failed attempts are retried through BullMQ with the delay decided here, and a detached
 * attempt leaves its job delayed as its own placeholder (see detached.ts).
 */
import { DelayedError, type Job, type Queue, UnrecoverableError } from 'bullmq';
import type { AttemptLogWriter, AttemptRecord } from '../attempts/index.js';
import type { AttemptOutcome, AttemptRequest, AttemptResult, DeliveryPipeline } from '../delivery/index.js';
import type { RequestEvent } from '../events/index.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { ATTEMPT_CODES, AttemptCode } from '../outcomes.js';
import { RetryLaterError, type Settlement, settle } from '../retry/index.js';
import type { WebhookTestConfig, WebhookTestStore } from '../registry/index.js';
import type { Webhook, WebhookEvent } from '../registry/model.js';
import type { DeadLetterStore } from '../dead-letters/index.js';
import { PLACEHOLDER_GRACE_MS, concludeDetached } from './detached.js';
import { type DeliveriesJobData, type DeliveryJobData, type WebhookTestJobData, readDeliveriesJob } from './jobs.js';
import { settleAndRecord } from './settle.js';
import { isUnreadable } from './worker.js';

export interface DeliveryProcessorDeps {
  readonly registry: { getById(project: string, id: string): Promise<Webhook | null> };
  readonly webhookTests: WebhookTestStore;
  readonly pipeline: DeliveryPipeline;
  readonly deadLetters: DeadLetterStore;
  readonly attempts: AttemptLogWriter;
  readonly deliveries: Queue<DeliveriesJobData>;
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

/** The attempt log's record of a delivery not attempted because its webhook went away or changed. */
function skippedRecord(data: DeliveryJobData, webhook: Webhook | null): AttemptRecord {
  const errorCode = !webhook ? AttemptCode.WEBHOOK_DELETED : !webhook.enabled ? AttemptCode.WEBHOOK_DISABLED : AttemptCode.WEBHOOK_CHANGED;
  const errorMessage = webhook?.enabled ? `Not sent: the webhook now listens to ${webhook.event}` : ATTEMPT_CODES[errorCode].message;
  return {
    deliveryId: data.deliveryId,
    project: data.project,
    webhookId: data.webhookId,
    ...(webhook ? { webhookName: webhook.name } : {}),
    event: data.webhookEvent,
    requestId: data.event.request_id,
    attempt: data.priorFailures + 1,
    startedAt: Date.now(),
    durationMs: 0,
    outcome: 'skipped',
    errorCode,
    errorMessage,
  };
}

const MAX_PARK_MS = 60_000;
/** A job whose attempt is still detached in this process waits this long again (ms). */
const STILL_DETACHED_WAIT_MS = 2_000;

export function createDeliveryProcessor(deps: DeliveryProcessorDeps): (job: Job<DeliveriesJobData>, token?: string) => Promise<void> {
  const { registry, webhookTests, pipeline, metrics, logger } = deps;

  /** Delays the same job again; BullMQ does not count it as an attempt. */
  const delay = async (job: Job, token: string | undefined, ms: number): Promise<never> => {
    await job.moveToDelayed(Date.now() + Math.round(ms), token);
    throw new DelayedError();
  };

  /**
   * Runs one attempt of a job and settles it. A destination that stays busy is asked less and less
   * often (doubling up to a minute): a dead endpoint's parked deliveries must not keep the worker busy.
   */
  const run = async (
    job: Job<DeliveriesJobData>,
    token: string | undefined,
    request: AttemptRequest,
    decide: (outcome: AttemptOutcome) => Promise<Settlement>,
  ): Promise<void> => {
    const result: AttemptResult = await pipeline.attempt(request);
    if (result.kind === 'parked') {
      const backoff = 2 ** Math.min(Math.max(job.attemptsStarted - job.attemptsMade - 1, 0), 6);
      return delay(job, token, Math.min(result.retryInMs * backoff, MAX_PARK_MS));
    }
    if (result.kind === 'detached') {
      // The job itself is the placeholder: delayed past the attempt's deadline, settled when it ends.
      const placeholder = job.moveToDelayed(Date.now() + result.remainingMs + PLACEHOLDER_GRACE_MS, token);
      void concludeDetached(deps, { jobId: String(job.id), placeholder, settled: result.settled, decide });
      await placeholder;
      throw new DelayedError();
    }
    const next = await decide(result.outcome);
    if (next.outcome === 'retrying') throw new RetryLaterError(result.outcome.message, next.delayMs);
  };

  const deliver = async (job: Job<DeliveriesJobData>, token: string | undefined, data: DeliveryJobData) => {
    const webhook = await registry.getById(data.project, data.webhookId);
    if (!webhook?.enabled || !webhook.events.includes(data.webhookEvent)) {
      metrics.deliveries.inc({ event: data.webhookEvent, outcome: 'skipped' });
      deps.attempts.record(skippedRecord(data, webhook), data.event);
      logger.info(
        { deliveryId: data.deliveryId, webhookId: data.webhookId, reason: webhook ? 'disabled or changed' : 'deleted' },
        'delivery skipped',
      );
      return;
    }
    if (data.handedOffAt !== undefined && job.attemptsStarted <= 1) {
      metrics.handOffWait.observe(Math.max(0, Date.now() - data.handedOffAt) / 1000);
    }
    const attempt = data.priorFailures + job.attemptsMade + 1;
    await run(
      job,
      token,
      {
        deliveryId: data.deliveryId,
        attempt,
        webhookId: webhook.id,
        webhookEvent: data.webhookEvent,
        event: data.event,
        target: webhook,
      },
      async (outcome) => {
        return settleAndRecord(
          deps,
          {
            deliveryId: data.deliveryId,
            project: data.project,
            webhookId: webhook.id,
            webhookName: webhook.name,
            webhookEvent: data.webhookEvent,
            event: data.event,
            attempts: attempt,
            outcome,
          },
          webhook.retry,
          deps.retryScheduleMs,
        );
      },
    );
  };

  const test = async (job: Job<DeliveriesJobData>, token: string | undefined, data: WebhookTestJobData) => {
    const config = await webhookTests.getConfig(data.project, data.testId);
    if (!config) {
      logger.info({ testId: data.testId }, 'webhook test expired before it ran');
      return;
    }
    const attempt = (data.priorFailures ?? 0) + job.attemptsMade + 1;
    const webhookEvent = config.event as WebhookEvent;
    await run(
      job,
      token,
      {
        deliveryId: data.deliveryId,
        attempt,
        webhookId: `test:${data.testId}`,
        webhookEvent,
        event: dummyEventOf(config, data.testId),
        target: config,
      },
      async (outcome) => {
        const next = settle(outcome, config.retry, attempt, deps.retryScheduleMs);
        if (next.outcome === 'retrying') return next;
        const status = next.outcome === 'success' ? 'completed' : 'failed';
        await webhookTests.finish(data.project, data.testId, status, status === 'completed' ? null : outcome.message);
        metrics.webhookTests.inc({ outcome: status });
        return next;
      },
    );
  };

  return async (job, token) => {
    const read = isUnreadable(job.data) ? { ok: false as const, error: 'data is not JSON' } : readDeliveriesJob(job.data);
    if (!read.ok) {
      metrics.invalidDeliveryJobs.inc();
      logger.warn({ jobId: job.id, error: read.error }, 'invalid deliveries job rejected');
      throw new UnrecoverableError(`invalid deliveries job: ${read.error}`);
    }
    const data = read.data;
    // Its attempt still waits here (the placeholder fired early, e.g. the event loop was stalled).
    if (pipeline.isDetached(data.deliveryId)) return delay(job, token, STILL_DETACHED_WAIT_MS);
    if (data.kind === 'test') return test(job, token, data);
    return deliver(job, token, data);
  };
}
