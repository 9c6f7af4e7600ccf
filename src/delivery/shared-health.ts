/**
 * Shared endpoint health: a circuit one worker opens is open on every worker, so replicas do not
 * each spend `failureThreshold` attempts (and their timeouts) on a destination another found dead.
 *
 * - When this process's gate opens a circuit (failures, stuck, failed probe), the origin goes into
 *   one sorted set, `<prefix>:health` (member: the origin, score: epoch ms until which it is open;
 *   the set expires with its latest entry, and past entries are pruned on every write), and a notice
 *   is published on `<prefix>:health:changes`. A close after a successful probe removes the origin
 *   and publishes that too.
 * - Every process applies the notices of the others to its own gate (`markOpen` / `markClosed`)
 *   as they arrive, so the hot path never asks Redis: the gate is the local cache. Notices missed
 *   while the subscription was down are caught up by reading the set when it is back, and every
 *   `resyncMs` as a backstop.
 *
 * One key and one channel under the main prefix: on Redis Cluster they share the prefix's slot.
 * Times are epoch milliseconds, so the replicas' clocks should agree to within a second or so.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../observability/logger.js';
import type { Keys, RedisClient } from '../redis/index.js';
import type { DestinationGate, GateState, TransitionReason } from './destination-gate.js';

export interface SharedHealthOptions {
  /** Commands connection (not closed here). */
  readonly redis: RedisClient;
  /** Subscriber connection, possibly shared with other subscriptions (not closed here). */
  readonly subscriber: RedisClient;
  readonly keys: Keys;
  readonly gate: DestinationGate;
  readonly logger: Logger;
  /** How often the set is read again in case a notice was missed, in milliseconds. Default 5,000. */
  readonly resyncMs?: number;
  /** Clock in epoch milliseconds. Default Date.now. */
  readonly now?: () => number;
}

export interface SharedHealth {
  /**
   * Reads the destinations other processes found dead and subscribes to their notices (at once,
   * or when the subscriber is ready). Never rejects: a Redis that cannot be used is logged once.
   */
  start(): Promise<void>;
  /**
   * To be called from the gate's `onTransition`: publishes this process's own opens (with the
   * gate's open-until time) and closes; changes that came from other processes are not sent back.
   * Never throws and never waits: a Redis that is away only delays what the others learn.
   */
  onTransition(origin: string, state: GateState, reason?: TransitionReason): void;
  close(): Promise<void>;
}

/** A notice on the channel. `from` tells a process its own notices apart. */
interface HealthNotice {
  readonly from: string;
  readonly origin: string;
  /** Open until (epoch ms); absent when closed. */
  readonly until?: number;
}

// KEYS[1] the set; ARGV: now, until, origin, channel, notice. ZADD GT keeps the later time.
const OPEN_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[3])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1`;

// KEYS[1] the set; ARGV: origin, channel, notice. Announced even when the entry has expired: the
// others took its open time and are half-open now, and a success here closes them at once.
const CLOSE_SCRIPT = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`;

function parseNotice(message: string): HealthNotice | undefined {
  try {
    const value = JSON.parse(message) as Partial<HealthNotice>;
    if (typeof value.from !== 'string' || typeof value.origin !== 'string') return undefined;
    if (value.until !== undefined && !Number.isFinite(value.until)) return undefined;
    return value as HealthNotice;
  } catch {
    return undefined;
  }
}

export function createSharedHealth(options: SharedHealthOptions): SharedHealth {
  const { redis, subscriber, keys, gate, logger } = options;
  const now = options.now ?? Date.now;
  const resyncMs = options.resyncMs ?? 5_000;
  const self = randomBytes(8).toString('hex');
  const setKey = keys.destinationHealth();
  const channel = keys.destinationHealthChannel();
  const log = logger.child({ component: 'shared-health' });
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let failing = false;

  const failed = (err: unknown) => {
    // One line per outage, not one per transition: the connection watch reports Redis itself.
    if (!failing) log.warn({ err }, 'could not share a destination circuit change');
    failing = true;
  };
  const sent = () => {
    failing = false;
  };

  const resync = async () => {
    try {
      const t = now();
      const entries = await redis.zrangebyscore(setKey, `(${t}`, '+inf', 'WITHSCORES');
      for (let i = 0; i + 1 < entries.length; i += 2) gate.markOpen(entries[i] as string, Number(entries[i + 1]));
    } catch (err) {
      log.debug({ err }, 'reading shared destination health failed; trying again later');
    }
  };

  const onMessage = (from: string, message: string) => {
    if (from !== channel) return;
    const notice = parseNotice(message);
    if (!notice || notice.from === self) return;
    if (notice.until === undefined) gate.markClosed(notice.origin);
    else gate.markOpen(notice.origin, notice.until);
  };
  const onReady = () => {
    subscriber.subscribe(channel).then(resync, (err: unknown) => log.warn({ err }, 'destination health subscription failed'));
  };

  return {
    async start() {
      subscriber.on('message', onMessage);
      subscriber.on('ready', onReady);
      // Subscribes now or once the subscriber is ready; neither waits for nor fails on a Redis that
      // cannot be used yet (the connection watch reports that): sharing only starts later.
      if (subscriber.status === 'ready') onReady();
      await resync();
      timer = setInterval(() => void resync(), resyncMs);
      timer.unref();
    },

    onTransition(origin, state, reason) {
      if (closed || reason === 'remote') return;
      if (state === 'open') {
        const until = now() + gate.openRemainingMs(origin);
        const notice: HealthNotice = { from: self, origin, until };
        redis
          .eval(OPEN_SCRIPT, 1, setKey, now(), until, origin, channel, JSON.stringify(notice))
          .then(sent, failed);
      } else if (state === 'closed') {
        const notice: HealthNotice = { from: self, origin };
        redis.eval(CLOSE_SCRIPT, 1, setKey, origin, channel, JSON.stringify(notice)).then(sent, failed);
      }
    },

    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      subscriber.off('message', onMessage);
      subscriber.off('ready', onReady);
    },
  };
}
