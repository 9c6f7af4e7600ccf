import { Redis } from 'ioredis';

/** True when a Redis answers PING at `url` within `timeoutMs` (one attempt, no reconnects). */
export async function redisAnswers(url: string, timeoutMs = 2_000): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}
