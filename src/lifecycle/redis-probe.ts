import { describeRedisError, type RedisProblem } from '../observability/redis-connection.js';
import { createRedis } from '../redis/connect.js';
import { maskRedisUrl, type RedisTarget, parseRedisUrl } from '../redis/url.js';

/**
 * One attempt (no reconnects) to PING the Redis at `url` (any form of src/redis/url.ts: one Redis,
 * a cluster's seed nodes, a Sentinel set) within `timeoutMs`: undefined when it answers, else what
 * is wrong (unreachable, needs a password, wrong password, ...).
 */
export async function probeRedis(url: string, timeoutMs = 2_000): Promise<RedisProblem | undefined> {
  let target: RedisTarget;
  try {
    target = parseRedisUrl(url);
  } catch (err) {
    return { kind: 'other', message: `${maskRedisUrl(url)} is not a Redis URL: ${err instanceof Error ? err.message : String(err)}` };
  }
  const probe = createRedis(target, 'probe', { connectTimeoutMs: timeoutMs });
  let lastError: unknown;
  probe.on('error', (err: unknown) => {
    lastError = err;
  });
  try {
    await probe.connect();
    const reply = await probe.ping();
    return reply === 'PONG' ? undefined : describeRedisError(new Error(`PING answered ${reply}`), url);
  } catch (err) {
    // connect() rejects with "Connection is closed" after an AUTH or ready-check failure; the
    // error event carried the real reason. A cluster wraps it: its last node error says why.
    const cause = (lastError as { lastNodeError?: unknown } | undefined)?.lastNodeError ?? lastError ?? err;
    return describeRedisError(cause, url);
  } finally {
    probe.disconnect();
  }
}

/** True when a Redis answers PING at `url` within `timeoutMs`. */
export async function redisAnswers(url: string, timeoutMs = 2_000): Promise<boolean> {
  return (await probeRedis(url, timeoutMs)) === undefined;
}
