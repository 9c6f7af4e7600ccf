#!/usr/bin/env node
/**
 * Publishes one request event the way a producer does (`createProducer` from `hookpost`), with a fresh
 * `request_id` each run: an event's job id is `<request_id>.<status>`, and re-publishing an id that is
 * still retained (completed jobs: 1 hour) is a no-op, reported as `duplicate`.
 *
 *   node examples/publish.mjs [completed|failed|processing]
 *
 * Environment (all optional): HOOKPOST_REDIS_URL (default: the embedded Redis that `npm start`
 * recorded in HOOKPOST_DATA_DIR, else redis://127.0.0.1:6379), HOOKPOST_PREFIX (hookpost),
 * HOOKPOST_EVENTS_QUEUE (events), HOOKPOST_DATA_DIR (.hookpost).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProducer } from 'hookpost';

function redisUrl() {
  if (process.env.HOOKPOST_REDIS_URL) return process.env.HOOKPOST_REDIS_URL;
  try {
    const port = readFileSync(join(process.env.HOOKPOST_DATA_DIR ?? '.hookpost', 'redis', 'port'), 'utf8').trim();
    return `redis://127.0.0.1:${port}`;
  } catch {
    return 'redis://127.0.0.1:6379';
  }
}

const status = process.argv[2] ?? 'completed';
const producer = createProducer({
  redis: redisUrl(),
  prefix: process.env.HOOKPOST_PREFIX ?? 'hookpost',
  queueName: process.env.HOOKPOST_EVENTS_QUEUE ?? 'events',
});
try {
  const { jobId, duplicate } = await producer.publish({
    project: 'demo',
    object_type: 'deployment',
    object_name: 'model-a',
    version: 'v1',
    is_default_version: true,
    request_id: `example-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
    status,
    ...(status === 'completed' && { result: { label: 'positive', score: 0.93 } }),
    ...(status === 'failed' && { error_message: 'Out of memory' }),
  });
  console.log(duplicate ? `duplicate ${jobId}: already published, nothing sent` : `published ${jobId}`);
} finally {
  await producer.close();
}
