/**
 * How hookpost talks about its Redis connections: URLs shown with the password masked, a Redis error
 * turned into one sentence that says what to do, and one log line per connection state change
 * (instead of one per failed reconnect). ioredis keeps reconnecting with its own backoff.
 */
import { maskRedisUrl } from '../redis/url.js';
import type { Logger } from './logger.js';

export { maskRedisUrl };

/** A client or BullMQ queue/worker: anything that emits `error` (and, for clients, `ready`). */
export interface ConnectionEvents {
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
}

/** What is wrong with a Redis connection, in words a user can act on. */
export type RedisProblemKind = 'auth_required' | 'auth_failed' | 'unreachable' | 'other';

export interface RedisProblem {
  readonly kind: RedisProblemKind;
  /** One sentence, without any password. */
  readonly message: string;
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE']);

/** Classifies a Redis (ioredis) error; `url` is only ever shown masked. */
export function describeRedisError(err: unknown, url: string): RedisProblem {
  const where = maskRedisUrl(url);
  const text = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  if (/^NOAUTH\b/.test(text)) {
    return {
      kind: 'auth_required',
      message: `Redis at ${where} needs a password (NOAUTH): put it in HOOKPOST_REDIS_URL, e.g. redis://:<password>@host:port or redis://<user>:<password>@host:port`,
    };
  }
  if (/^WRONGPASS\b/.test(text)) {
    return {
      kind: 'auth_failed',
      message: `Redis at ${where} rejected the user name or password (WRONGPASS): check the credentials in HOOKPOST_REDIS_URL`,
    };
  }
  if ((typeof code === 'string' && UNREACHABLE_CODES.has(code)) || /connect ETIMEDOUT|Connection is closed/.test(text)) {
    return { kind: 'unreachable', message: `cannot reach Redis at ${where} (${typeof code === 'string' ? code : text})` };
  }
  return { kind: 'other', message: `Redis at ${where} failed: ${text}` };
}

export interface RedisConnectionWatch {
  /** The current problem of this process's connections to the URL, or undefined while they work. */
  readonly problem: RedisProblem | undefined;
}

/**
 * Per Redis URL, the problem last logged. A process has a handful of connections to one Redis (commands,
 * queues, workers' blocking connections, the registry subscriber); they fail and recover together, so
 * the state is shared: one line when the problem starts or changes, one when a connection is ready again.
 */
const states = new Map<string, { problem: RedisProblem | undefined }>();

/**
 * Watches `client` (an ioredis client, or a BullMQ queue or worker, which re-emit their connections'
 * errors) and logs one line per state change of the process's connections to `url`: when they start
 * failing, when the failure changes (e.g. unreachable, then a wrong password), and when a client is
 * ready again. The same error on every reconnect attempt is not logged again. `name` says which
 * connection reported it. Without this listener ioredis and BullMQ print each error with its stack.
 */
export function watchRedisConnection(client: ConnectionEvents, log: Logger, name: string, url: string): RedisConnectionWatch {
  let state = states.get(url);
  if (!state) {
    state = { problem: undefined };
    states.set(url, state);
  }
  const shared = state;
  client.on('error', (err) => {
    const next = describeRedisError(err, url);
    if (shared.problem?.message === next.message) return;
    shared.problem = next;
    log.warn({ connection: name, problem: next.kind, reason: next.message }, 'redis unavailable');
  });
  client.on('ready', () => {
    if (shared.problem === undefined) return;
    shared.problem = undefined;
    log.info({ connection: name }, 'redis ready again');
  });
  return {
    get problem() {
      return shared.problem;
    },
  };
}
