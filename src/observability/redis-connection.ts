/**
 * How hookpost talks about its Redis connections: URLs shown with the password masked, a Redis error
 * turned into one sentence that says what to do, and one log line per connection state change
 * (instead of one per failed reconnect). ioredis keeps reconnecting with its own backoff. Whether
 * the connections work again is decided by a command that succeeds ({@link probeRedisConnection}),
 * not only by a `ready` event: a Cluster client whose nodes stay connected through an outage of one
 * slot range (`CLUSTERDOWN`) never emits `ready` again.
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
  /**
   * A command on one of the process's connections to the URL just succeeded: they work again. Clears
   * the problem, with one `redis ready again` line when there was one.
   */
  succeeded(): void;
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
  const succeeded = () => {
    if (shared.problem === undefined) return;
    shared.problem = undefined;
    log.info({ connection: name }, 'redis ready again');
  };
  client.on('ready', succeeded);
  return {
    get problem() {
      return shared.problem;
    },
    succeeded,
  };
}

export interface RedisReadiness {
  /**
   * Runs the probe (at most `timeoutMs`): undefined when it answered (and the watched problem is
   * cleared), else the problem: the one the connection watch recorded, or the probe's own error.
   */
  check(): Promise<RedisProblem | undefined>;
  /** Stops the background probe. */
  stop(): void;
}

export interface RedisReadinessOptions {
  /** Longest wait for the probe's answer, in milliseconds. Default 3,000. */
  readonly timeoutMs?: number;
  /** How often the probe runs in the background while a problem is recorded, in milliseconds. Default 2,000. */
  readonly intervalMs?: number;
}

/**
 * Readiness by a command: `probe` should touch what the process needs (a key under the prefix's
 * hash tag, so that on a cluster the slot range holding it must be served; a PING would be answered
 * by a node of a cluster that is down). A probe that answers clears the watch's problem, so /readyz
 * and the `redis ready again` line follow the connection when it works again, whatever events the
 * client emitted. While a problem is recorded the probe also runs every `intervalMs` in the background.
 */
export function probeRedisConnection(
  watch: RedisConnectionWatch,
  probe: () => Promise<unknown>,
  url: string,
  options: RedisReadinessOptions = {},
): RedisReadiness {
  const timeoutMs = options.timeoutMs ?? 3_000;
  let running: Promise<RedisProblem | undefined> | undefined;
  const runProbe = async (): Promise<RedisProblem | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        probe(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      watch.succeeded();
      return undefined;
    } catch (err) {
      return watch.problem ?? describeRedisError(err, url);
    } finally {
      clearTimeout(timer);
    }
  };
  // One probe at a time: concurrent checks share it.
  const check = () => {
    running ??= runProbe().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    if (watch.problem !== undefined) void check();
  }, options.intervalMs ?? 2_000);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}
