/**
 * A project's dead letters are capped by count (maxPerProject): when the index is trimmed, the
 * trimmed records go with it. A record left outside the index is unreachable by listing and
 * re-drive, yet kept (and paid for in Redis memory) for its whole TTL.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createDeadLetterStore, type DeadLetter } from '../../../src/dead-letters/index.js';
import { createKeys } from '../../../src/redis/index.js';
import { uniquePrefix } from '../../helpers/index.js';

const redis = new Redis(inject('redisUrl'));
afterAll(async () => {
  await redis.quit();
});

const letter = (project: string, n: number): DeadLetter => ({
  deliveryId: `d-${n}`,
  project,
  webhookId: 'w1',
  webhookEvent: 'deployment_request_completed',
  event: { project, object_type: 'deployment', object_name: 'm', version: 'v1', is_default_version: true, request_id: `r-${n}`, status: 'completed' } as never,
  attempts: 3,
  errorCode: 'HTTP_500',
  errorMessage: 'Received HTTP 500',
  failedAt: new Date(Date.UTC(2026, 0, 1) + n * 1_000).toISOString(),
});

/** Every `dead-letter:<project>:*` record key under the prefix. */
async function recordKeys(prefix: string, project: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:dead-letter:${project}:*`, 'COUNT', 1_000);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');
  return found.sort();
}

describe('dead-letter records are trimmed with their index', () => {
  it('keeps exactly maxPerProject records, the newest, and every one is in the index', async () => {
    const prefix = uniquePrefix('dl-trim');
    const keys = createKeys(prefix);
    const store = createDeadLetterStore({ redis, keys, maxPerProject: 5 });
    for (let n = 1; n <= 12; n++) await store.add(letter('demo', n));

    const indexed = await redis.zrange(keys.deadLetters('demo'), 0, -1);
    expect(indexed).toEqual(['d-8', 'd-9', 'd-10', 'd-11', 'd-12']);
    expect(await recordKeys(prefix, 'demo')).toEqual(indexed.map((id) => keys.deadLetter('demo', id)).sort());
    expect(await store.get('demo', 'd-7')).toBeNull();
    expect((await store.list('demo')).map((l) => l.deliveryId)).toEqual(['d-12', 'd-11', 'd-10', 'd-9', 'd-8']);
  });

  it('a lowered limit trims the whole excess at the next add, records included', async () => {
    const prefix = uniquePrefix('dl-trim');
    const keys = createKeys(prefix);
    const wide = createDeadLetterStore({ redis, keys, maxPerProject: 1_200 });
    for (let n = 1; n <= 1_200; n++) await wide.add(letter('demo', n));
    await createDeadLetterStore({ redis, keys, maxPerProject: 3 }).add(letter('demo', 1_201));

    expect(await redis.zcard(keys.deadLetters('demo'))).toBe(3);
    expect(await recordKeys(prefix, 'demo')).toHaveLength(3);
  });
});
