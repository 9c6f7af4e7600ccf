/**
 * The one place hookpost opens Redis connections: a single Redis, a Redis Cluster (ioredis
 * `Cluster`) or a Sentinel set (ioredis `sentinels`), with TLS and passwords, and the options each
 * use needs (BullMQ's production guide: `maxRetriesPerRequest: null` on queue and worker
 * connections). Every component (API, worker, producer, probes) connects through {@link createRedis}.
 */
import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { ErrorCode, HookpostError } from '../errors.js';
import { type RedisTarget, hashTagOf, parseRedisUrl } from './url.js';

/** A connection hookpost can use: one Redis (standalone or via Sentinel) or a cluster. */
export type RedisClient = Redis | Cluster;

/**
 * What a connection is for:
 * - `commands`: registry, webhook tests, dead letters, shared endpoint health. A command fails after
 *   2 reconnect attempts, so the API answers 503 instead of hanging while Redis is away.
 * - `queue`: BullMQ queues and workers (BullMQ duplicates it for its blocking connections);
 *   commands wait for Redis however long it takes (`maxRetriesPerRequest: null`).
 * - `subscriber`: pub/sub (registry change notices, endpoint health notices); also waits.
 * - `producer`: the TypeScript producer's own connection when given a URL: 20 reconnect attempts.
 * - `probe`: one connection attempt within `connectTimeoutMs`, no reconnects (startup checks).
 */
export type RedisPurpose = 'commands' | 'queue' | 'subscriber' | 'producer' | 'probe';

export interface CreateRedisOptions {
  /** For `probe`: how long to wait for the connection, in milliseconds. Default 2,000. */
  readonly connectTimeoutMs?: number;
}

const PURPOSE_OPTIONS: Record<RedisPurpose, RedisOptions> = {
  commands: { maxRetriesPerRequest: 2, enableAutoPipelining: true },
  queue: { maxRetriesPerRequest: null, enableReadyCheck: true },
  subscriber: { maxRetriesPerRequest: null },
  producer: { maxRetriesPerRequest: 20 },
  probe: { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null },
};

/**
 * ioredis's Cluster, with one fix: `disconnect()` while the cluster is reconnecting (every node
 * connection gone, e.g. during a failover) never emits `end` in ioredis 5.x, and BullMQ's
 * `Worker.close()` waits for that `end`, so a worker could never close. Here it ends as it does
 * from the `wait` state. `duplicate()` (BullMQ's blocking connections) keeps the fix.
 */
class ClosableCluster extends Cluster {
  override disconnect(reconnect = false): void {
    const noConnections = this.nodes('all').length === 0;
    super.disconnect(reconnect);
    if (!reconnect && noConnections && this.status !== 'end') {
      (this as unknown as { handleCloseEvent(): void }).handleCloseEvent();
    }
  }

  /**
   * Settles when the cluster is ready or ended. ioredis's own promise never settles when the ready
   * check finds `cluster_state:fail` (a slot range without a node): the cluster then reconnects by
   * itself through `clusterRetryStrategy`, but with a new promise. BullMQ awaits `connect()` to
   * bring a worker's blocking connection back, so the worker would wait forever after an outage.
   */
  override connect(): Promise<void> {
    const attempt = super.connect();
    return new Promise<void>((resolve, reject) => {
      const settle = (fn: () => void) => {
        this.off('ready', onReady);
        this.off('end', onEnd);
        fn();
      };
      const onReady = () => settle(resolve);
      const onEnd = () => settle(() => reject(new Error('Connection is closed.')));
      this.once('ready', onReady);
      this.once('end', onEnd);
      attempt.then(
        () => settle(resolve),
        (err: unknown) => settle(() => reject(err)),
      );
    });
  }

  override duplicate(overrideStartupNodes: ClusterNode[] = [], overrideOptions: ClusterOptions = {}): Cluster {
    const startupNodes = overrideStartupNodes.length > 0 ? overrideStartupNodes : (this as unknown as { startupNodes: ClusterNode[] }).startupNodes.slice(0);
    return new ClosableCluster(startupNodes, { ...this.options, ...overrideOptions });
  }
}

/** Reconnect backoff of cluster and sentinel connections: quick first retries, at most 2 s apart (ms). */
const backoffMs = (attempt: number) => Math.min(100 * attempt, 2_000);

function clusterOptions(target: Extract<RedisTarget, { kind: 'cluster' }>, purpose: RedisPurpose, base: RedisOptions): ClusterOptions {
  const { lazyConnect, retryStrategy: _nodeRetry, enableAutoPipelining, ...nodeOptions } = base;
  return {
    lazyConnect: lazyConnect ?? false,
    enableAutoPipelining: enableAutoPipelining ?? false,
    // Reads go to masters: queue state must be read where it was written.
    scaleReads: 'master',
    // During a failover the slots move: retry redirected and CLUSTERDOWN commands instead of failing them.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    retryDelayOnTryAgain: 200,
    maxRedirections: 32,
    slotsRefreshTimeout: 2_000,
    clusterRetryStrategy: purpose === 'probe' ? () => null : backoffMs,
    // With TLS, certificates name the hosts: keep the names instead of resolving them to addresses.
    ...(target.tls ? { dnsLookup: (address: string, done: (err: null, address: string) => void) => done(null, address) } : {}),
    redisOptions: {
      ...nodeOptions,
      username: target.username,
      password: target.password,
      ...(target.tls ? { tls: {} } : {}),
    },
  };
}

function sentinelOptions(target: Extract<RedisTarget, { kind: 'sentinel' }>, purpose: RedisPurpose, base: RedisOptions): RedisOptions {
  return {
    ...base,
    sentinels: target.sentinels.map((n) => ({ host: n.host, port: n.port })),
    name: target.masterName,
    db: target.db,
    username: target.username,
    password: target.password,
    sentinelUsername: target.sentinelUsername,
    sentinelPassword: target.sentinelPassword,
    // Learn of a failover from the sentinels' +switch-master at once, not at the next failed command.
    failoverDetector: purpose !== 'probe',
    sentinelRetryStrategy: purpose === 'probe' ? () => null : backoffMs,
    ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
  };
}

/**
 * Opens a connection to `target` (a parsed URL, see src/redis/url.ts, or the URL itself) for
 * `purpose`. A `probe` connection is lazy: call `connect()`. Throws HookpostError CONFIG_INVALID for a
 * URL that is not one of the accepted forms.
 */
export function createRedis(target: RedisTarget | string, purpose: RedisPurpose, options: CreateRedisOptions = {}): RedisClient {
  const parsed = typeof target === 'string' ? parseTarget(target) : target;
  const base: RedisOptions = {
    ...PURPOSE_OPTIONS[purpose],
    ...(purpose === 'probe' ? { connectTimeout: options.connectTimeoutMs ?? 2_000 } : {}),
  };
  switch (parsed.kind) {
    case 'standalone':
      return new Redis(parsed.url, base);
    case 'cluster':
      return new ClosableCluster(
        parsed.nodes.map((n) => ({ host: n.host, port: n.port })),
        clusterOptions(parsed, purpose, base),
      );
    case 'sentinel':
      return new Redis(sentinelOptions(parsed, purpose, base));
  }
}

function parseTarget(url: string): RedisTarget {
  try {
    return parseRedisUrl(url);
  } catch (err) {
    throw new HookpostError(ErrorCode.CONFIG_INVALID, `invalid Redis URL: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** True for a Redis Cluster connection. */
export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster || (client as { isCluster?: unknown }).isCluster === true;
}

/**
 * Why `prefix` cannot be used on a Redis Cluster, or undefined when it can. BullMQ's Lua scripts
 * touch several keys of a queue at once, and the registry's scripts several registry keys: on a
 * cluster they must share one slot, so the prefix needs a non-empty hash tag such as `{hookpost}`.
 */
export function clusterPrefixProblem(prefix: string): string | undefined {
  if (hashTagOf(prefix) !== undefined) return undefined;
  return `on Redis Cluster the prefix needs a hash tag so that each queue's keys share one slot, e.g. {${prefix.replace(/[{}]/g, '') || 'hookpost'}}; got ${JSON.stringify(prefix)}`;
}

/**
 * Throws HookpostError CONFIG_INVALID naming `variable` when `prefix` cannot be used on a cluster
 * (see {@link clusterPrefixProblem}); does nothing when `cluster` is false.
 */
export function assertClusterPrefix(cluster: boolean, prefix: string, variable = 'HOOKPOST_PREFIX'): void {
  const problem = cluster ? clusterPrefixProblem(prefix) : undefined;
  if (problem) throw new HookpostError(ErrorCode.CONFIG_INVALID, `${variable}: ${problem}`);
}
