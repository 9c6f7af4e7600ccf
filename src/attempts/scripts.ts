/**
 * The attempt log's Lua scripts run with EVALSHA, falling back to EVAL when Redis does not know the
 * script yet (after a restart or a failover). Every key a script touches is passed in KEYS.
 */
import { createHash } from 'node:crypto';
import type { RedisClient as Redis } from '../redis/index.js';

export interface LuaScript {
  readonly source: string;
  readonly sha1: string;
}

export function defineScript(source: string): LuaScript {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

export async function runScript(redis: Redis, script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha1, keys.length, ...keys, ...args);
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return redis.eval(script.source, keys.length, ...keys, ...args);
    throw err;
  }
}
