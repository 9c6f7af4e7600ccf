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

/** Local mode's order: HOOKPOST_REDIS_URL, else the embedded Redis of `npm start`, else 127.0.0.1:6379. */
function redisUrl() {
  if (process.env.HOOKPOST_REDIS_URL) return { url: process.env.HOOKPOST_REDIS_URL, why: 'from HOOKPOST_REDIS_URL' };
  const portFile = join(process.env.HOOKPOST_DATA_DIR || '.hookpost', 'redis', 'port');
  try {
    const port = readFileSync(portFile, 'utf8').trim();
    return { url: `redis://127.0.0.1:${port}`, why: `the embedded Redis of npm start, port from ${portFile}: is npm start running?` };
  } catch {
    return { url: 'redis://127.0.0.1:6379', why: 'the default' };
  }
}

const status = process.argv[2] ?? 'completed';
const redis = redisUrl();
// A Redis that is not there makes the producer retry for ever: give up after 10 s, saying where.
setTimeout(() => {
  console.error(`publish: no answer from Redis at ${redis.url.replace(/\/\/[^@/]*@/, '//***@')} within 10 s (${redis.why})`);
  process.exit(1);
}, 10_000).unref();
const producer = createProducer({
  redis: redis.url,
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
