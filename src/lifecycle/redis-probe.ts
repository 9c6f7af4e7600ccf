import { Redis } from 'ioredis';
import { type RedisProblem, describeRedisError } from '../observability/redis-connection.js';

/**
 * One attempt (no reconnects) to PING the Redis at `url` within `timeoutMs`: undefined when it
 * answers, else what is wrong (unreachable, needs a password, wrong password, ...).
 */
export async function probeRedis(url: string, timeoutMs = 2_000): Promise<RedisProblem | undefined> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs });
  let lastError: unknown;
  probe.on('error', (err) => {
    lastError = err;
  });
  try {
    await probe.connect();
    const reply = await probe.ping();
    return reply === 'PONG' ? undefined : describeRedisError(new Error(`PING answered ${reply}`), url);
  } catch (err) {
    // connect() rejects with "Connection is closed" after an AUTH or ready-check failure; the
    // error event carried the real reason.
    return describeRedisError(lastError ?? err, url);
  } finally {
    probe.disconnect();
  }
}

/** True when a Redis answers PING at `url` within `timeoutMs`. */
export async function redisAnswers(url: string, timeoutMs = 2_000): Promise<boolean> {
  return (await probeRedis(url, timeoutMs)) === undefined;
}
