/**
 * Testing a stored webhook: one webhook test per subscribed event, each queued on the real delivery
 * path (headers, secret, timeout, retry of the webhook). Shared by both API surfaces.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Webhook } from '../registry/model.js';
import type { WebhookEventTest, WebhookTestStore } from '../registry/webhook-tests.js';

export interface WebhookTestRunDeps {
  readonly webhookTests: WebhookTestStore;
  readonly enqueueWebhookTest: (project: string, testId: string) => Promise<void>;
}

/**
 * Stores and queues one test per event of `webhook`; each is then readable at
 * `GET /v2.1/projects/{project}/webhooks-tests/{id}`. Returns null when they could not be queued
 * (they are then recorded as failed; the caller answers 503).
 */
export async function runWebhookTests(
  deps: WebhookTestRunDeps,
  webhook: Webhook,
  log: FastifyBaseLogger,
): Promise<WebhookEventTest[] | null> {
  const tests = await deps.webhookTests.createForWebhook(webhook);
  try {
    for (const test of tests) await deps.enqueueWebhookTest(webhook.project, test.id);
  } catch (err) {
    log.error({ err, project: webhook.project, webhookId: webhook.id }, 'webhook tests not queued');
    for (const test of tests) {
      await deps.webhookTests.finish(webhook.project, test.id, 'failed', 'the test could not be queued').catch(() => {});
    }
    return null;
  }
  log.info({ project: webhook.project, webhookId: webhook.id, tests: tests.length }, 'webhook tests queued');
  return tests;
}
