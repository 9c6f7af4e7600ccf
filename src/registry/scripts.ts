/**
 * Running Lua scripts with EVALSHA and a fallback to EVAL when Redis does not know the script yet
 * (after a restart or a failover). Every key a script touches is passed in KEYS, so the scripts run
 * on Redis Cluster when the prefix is hash-tagged.
 */
import { createHash } from 'node:crypto';
import type { RedisClient as Redis } from '../redis/index.js';

export interface LuaScript {
  readonly source: string;
  readonly sha1: string;
}

/** Prepares a script: its SHA-1 is computed once, here. */
export function defineScript(source: string): LuaScript {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

/** Runs `script` with `keys` and `args`, loading it on the first NOSCRIPT reply. */
export async function runScript(
  redis: Redis,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha1, keys.length, ...keys, ...args);
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
      return redis.eval(script.source, keys.length, ...keys, ...args);
    }
    throw err;
  }
}
