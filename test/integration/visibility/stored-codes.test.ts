/**
 * Attempt codes stored by earlier versions read in today's spelling (src/outcomes.ts): the attempt
 * log and the dead letters map `REFUSED_DESTINATION` to `DESTINATION_REFUSED` on read.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_RETENTION, createAttemptLogReader, createAttemptLogWriter } from '../../../src/attempts/index.js';
import { createDeadLetterStore } from '../../../src/dead-letters/index.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createKeys } from '../../../src/redis/index.js';
import { uniquePrefix } from '../../helpers/index.js';

const redis = new Redis(inject('redisUrl'));
afterAll(async () => {
  await redis.quit();
});

const event = {
  project: 'demo',
  object_type: 'deployment',
  object_name: 'model',
  version: 'v1',
  is_default_version: true,
  request_id: 'req-old',
  status: 'completed',
  result: { label: 'x' },
} as const;

describe('stored attempt codes', () => {
  it('reads the old spelling of a refused destination as DESTINATION_REFUSED', async () => {
    const keys = createKeys(uniquePrefix('codes'));
    const deliveryId = randomUUID();
    // Written as an earlier version did: the old spelling, as a plain string.
    const old = 'REFUSED_DESTINATION' as never;
    await createDeadLetterStore({ redis, keys }).add({
      deliveryId,
      project: 'demo',
      webhookId: 'w1',
      webhookEvent: 'deployment_request_completed',
      event: event as never,
      attempts: 1,
      errorCode: old,
      errorMessage: 'Destination not allowed: 127.0.0.1 is loopback',
      failedAt: new Date().toISOString(),
    });
    const writer = createAttemptLogWriter({ redis, keys, logger: createLogger({ level: 'silent' }), ...DEFAULT_RETENTION });
    writer.record(
      {
        deliveryId,
        project: 'demo',
        webhookId: 'w1',
        event: 'deployment_request_completed',
        requestId: 'req-old',
        attempt: 1,
        startedAt: Date.now(),
        durationMs: 0,
        outcome: 'refused',
        errorCode: old,
        errorMessage: 'Destination not allowed: 127.0.0.1 is loopback',
      },
      event as never,
    );
    await writer.flush();

    const store = createDeadLetterStore({ redis, keys });
    expect((await store.get('demo', deliveryId))?.errorCode).toBe('DESTINATION_REFUSED');
    expect((await store.list('demo')).map((l) => l.errorCode)).toEqual(['DESTINATION_REFUSED']);
    const reader = createAttemptLogReader({ redis, keys });
    expect((await reader.get('demo', deliveryId))?.latest.errorCode).toBe('DESTINATION_REFUSED');
    expect((await reader.list('demo', { limit: 10 })).items.map((s) => s.latest.errorCode)).toEqual(['DESTINATION_REFUSED']);
    await writer.close();
  });
});
