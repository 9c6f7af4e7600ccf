/**
 * Real Redis topologies on loopback for tests and benchmarks: a Redis Cluster (masters, each with
 * replicas, so a master's failover can be tested) and a Sentinel set (a master, a replica and three
 * sentinels). Every process listens on a free 127.0.0.1 port, keeps its files in a temp dir, and is
 * stopped (SIGKILL, then the dir removed) by `stop()`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './redis.js';

const run = promisify(execFile);

/**
 * `count` distinct free ports. freePort() releases the port it found, so two calls may return the
 * same one; a topology needs them all before any of its processes binds.
 */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** One redis-server or redis-sentinel process. */
export interface TopologyNode {
  readonly port: number;
  readonly running: boolean;
  /** SIGKILL: the process dies at once, like a crash. */
  kill(): Promise<void>;
  /**
   * Starts a killed process again with the same arguments (a cluster node keeps its node id and
   * slots from its nodes file; its data only with the cluster's `persistence` option) and waits until
   * it answers PING. Does nothing while it runs.
   */
  restart(): Promise<void>;
  /** One-off admin connection (closed after `fn`). */
  admin<T>(fn: (redis: Redis) => Promise<T>): Promise<T>;
}

export interface TestCluster {
  /** `redis+cluster://127.0.0.1:<p1>,127.0.0.1:<p2>,...` (every master as a seed). */
  readonly url: string;
  readonly nodes: readonly TopologyNode[];
  /** The node serving `key`'s slot as a master now. */
  masterOf(key: string): Promise<TopologyNode>;
  /** Waits until every replica has every write of its master (before a kill that must lose nothing). */
  waitForReplication(timeoutMs?: number): Promise<void>;
  /** Waits until the cluster is ok again and `key`'s slot is served by a running master; returns it. */
  waitForFailover(key: string, timeoutMs?: number): Promise<TopologyNode>;
  /** Waits until every running node reports `cluster_state:<state>`. */
  waitForState(state: 'ok' | 'fail', timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface TestSentinel {
  /** `redis+sentinel://127.0.0.1:<s1>,127.0.0.1:<s2>,127.0.0.1:<s3>/<masterName>`. */
  readonly url: string;
  readonly masterName: string;
  /** The data nodes: [initial master, initial replica]. */
  readonly servers: readonly TopologyNode[];
  readonly sentinels: readonly TopologyNode[];
  /** The data node the sentinels name as master now. */
  master(): Promise<TopologyNode>;
  waitForReplication(timeoutMs?: number): Promise<void>;
  /** Waits until the sentinels name a running master other than `old` that answers as master. */
  waitForFailover(old: TopologyNode, timeoutMs?: number): Promise<TopologyNode>;
  stop(): Promise<void>;
}

async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function adminCall<T>(port: number, password: string | undefined, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ host: '127.0.0.1', port, password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

function startProcess(command: string, args: readonly string[], port: number, password?: string, logFile?: string): TopologyNode {
  let child: ChildProcess | undefined;
  const spawnChild = () => {
    const proc = spawn(command, args, { stdio: 'ignore' });
    child = proc;
    proc.on('exit', () => {
      if (child === proc) child = undefined;
    });
  };
  spawnChild();
  const node: TopologyNode = {
    port,
    get running() {
      return child !== undefined;
    },
    async kill() {
      const p = child;
      if (!p) return;
      await new Promise<void>((resolve) => {
        p.once('exit', () => resolve());
        p.kill('SIGKILL');
      });
    },
    admin: (fn) => adminCall(port, password, fn),
    async restart() {
      if (child) return;
      spawnChild();
      await waitUntilAnswers(node, logFile ?? '');
    },
  };
  return node;
}

/** Waits until `node` answers PING; when it exited instead (e.g. its port was taken), the error ends with its log's last lines. */
async function waitUntilAnswers(node: TopologyNode, logFile: string): Promise<void> {
  await waitFor(
    async () => {
      if (!node.running) {
        const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ') : 'no log';
        throw new Error(`process on port ${node.port} exited: ${log}`);
      }
      return node.admin(async (r) => ((await r.ping()) === 'PONG' ? true : undefined));
    },
    10_000,
    `the process on port ${node.port}`,
  );
}

function serverArgs(dir: string, port: number, extra: readonly string[]): string[] {
  return [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--dbfilename', `dump-${port}.rdb`,
    '--save', '',
    '--appendonly', 'no',
    '--daemonize', 'no',
    '--logfile', join(dir, `redis-${port}.log`),
    ...extra,
  ];
}

async function stopAll(nodes: readonly TopologyNode[], dir: string): Promise<void> {
  await Promise.all(nodes.map((n) => n.kill()));
  rmSync(dir, { recursive: true, force: true });
}

/** Parses CLUSTER NODES into (port → master's slot ranges) for masters that are not failed. */
function liveMasters(nodesText: string): Array<{ port: number; ranges: Array<[number, number]> }> {
  return nodesText
    .trim()
    .split('\n')
    .map((line) => line.split(' '))
    .filter((f) => (f[2] ?? '').includes('master') && !(f[2] ?? '').includes('fail'))
    .map((f) => ({
      port: Number((f[1] ?? '').split('@')[0]?.split(':').pop()),
      ranges: f.slice(8).filter((r) => /^\d/.test(r)).map((r) => {
        const [a, b] = r.split('-').map(Number);
        return [a as number, (b ?? a) as number] as [number, number];
      }),
    }));
}

export interface ClusterOptions {
  /** requirepass (and masterauth) of every node; the URL then carries it. Default none. */
  readonly password?: string;
  /** Default 3. */
  readonly masters?: number;
  /** Replicas per master. Default 1. */
  readonly replicas?: number;
  /** cluster-node-timeout: how long a master may not answer before its replica takes over (ms). Default 2,000. */
  readonly nodeTimeoutMs?: number;
  /**
   * Every node writes an append-only file (fsync on every write), so a node killed and restarted
   * keeps its data. Default false (no persistence: a restarted node comes back empty).
   */
  readonly persistence?: boolean;
}

/** Starts a Redis Cluster (`redis-cli --cluster create`) and waits for `cluster_state:ok` everywhere. */
export async function startCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicas ?? 1;
  const dir = mkdtempSync(join(tmpdir(), 'hookpost-cluster-'));
  const auth = options.password ? ['--requirepass', options.password, '--masterauth', options.password] : [];
  const nodes: TopologyNode[] = [];
  try {
    const total = masters * (1 + replicas);
    // The bus ports are chosen too: port + 10000 may be taken or beyond 65535.
    const ports = await freePorts(2 * total);
    for (let i = 0; i < total; i++) {
      const port = ports[i] as number;
      const busPort = ports[total + i] as number;
      nodes.push(
        startProcess(
          'redis-server',
          serverArgs(dir, port, [
            '--cluster-enabled', 'yes',
            '--cluster-port', String(busPort),
            '--cluster-config-file', join(dir, `nodes-${port}.conf`),
            '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 2_000),
            ...(options.persistence
              ? ['--appendonly', 'yes', '--appendfsync', 'always', '--appenddirname', `aof-${port}`, '--appendfilename', `aof-${port}.aof`]
              : []),
            ...auth,
          ]),
          port,
          options.password,
          join(dir, `redis-${port}.log`),
        ),
      );
    }
    await Promise.all(nodes.map((n) => waitUntilAnswers(n, join(dir, `redis-${n.port}.log`))));
    const cliAuth = options.password ? ['-a', options.password, '--no-auth-warning'] : [];
    await run(
      'redis-cli',
      [...cliAuth, '--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', String(replicas), '--cluster-yes'],
      { timeout: 30_000 },
    );
    await waitFor(
      async () => {
        for (const n of nodes) {
          const info = await n.admin((r) => r.cluster('INFO'));
          if (!/cluster_state:ok/.test(info) || !info.includes(`cluster_known_nodes:${nodes.length}`)) return undefined;
        }
        return true;
      },
      30_000,
      'cluster_state:ok on every node',
    );
  } catch (err) {
    await stopAll(nodes, dir);
    throw err;
  }
  const byPort = (port: number) => {
    const node = nodes.find((n) => n.port === port);
    if (!node) throw new Error(`no node on port ${port}`);
    return node;
  };
  const anyRunning = () => {
    const node = nodes.find((n) => n.running);
    if (!node) throw new Error('no cluster node is running');
    return node;
  };
  const ownerOf = async (key: string, via: TopologyNode) => {
    const slot = Number(await via.admin((r) => r.cluster('KEYSLOT', key)));
    const text = String(await via.admin((r) => r.cluster('NODES')));
    const owner = liveMasters(text).find((m) => m.ranges.some(([a, b]) => slot >= a && slot <= b));
    return owner ? byPort(owner.port) : undefined;
  };
  const waitForReplication = async (timeoutMs = 10_000) => {
    await waitFor(
      async () => {
        for (const n of nodes.filter((x) => x.running)) {
          const info = await n.admin((r) => r.info('replication'));
          if (!info.includes('role:master')) continue;
          const offset = /master_repl_offset:(\d+)/.exec(info)?.[1];
          const slaves = [...info.matchAll(/slave\d+:.*offset=(\d+)/g)].map((m) => m[1]);
          if (slaves.length < replicas || slaves.some((s) => s !== offset)) return undefined;
        }
        return true;
      },
      timeoutMs,
      'replicas to catch up',
    );
  };
  return {
    url: `redis+cluster://${options.password ? `:${encodeURIComponent(options.password)}@` : ''}${nodes
      .slice(0, masters)
      .map((n) => `127.0.0.1:${n.port}`)
      .join(',')}`,
    nodes,
    async masterOf(key) {
      const owner = await ownerOf(key, anyRunning());
      if (!owner) throw new Error(`no master serves ${key}`);
      return owner;
    },
    waitForReplication,
    waitForFailover: (key, timeoutMs = 30_000) =>
      waitFor(
        async () => {
          const via = anyRunning();
          const info = await via.admin((r) => r.cluster('INFO'));
          if (!/cluster_state:ok/.test(info)) return undefined;
          const owner = await ownerOf(key, via);
          return owner?.running ? owner : undefined;
        },
        timeoutMs,
        `a running master for ${key}`,
      ),
    waitForState: async (state, timeoutMs = 30_000) => {
      await waitFor(
        async () => {
          for (const n of nodes.filter((x) => x.running)) {
            const info = await n.admin((r) => r.cluster('INFO'));
            if (!info.includes(`cluster_state:${state}`)) return undefined;
          }
          return true;
        },
        timeoutMs,
        `cluster_state:${state} on every running node`,
      );
    },
    stop: () => stopAll(nodes, dir),
  };
}

export interface SentinelOptions {
  /** requirepass (and masterauth) of the data nodes. Default none. */
  readonly password?: string;
  /** requirepass of the sentinels themselves (the URL's sentinelPassword). Default none. */
  readonly sentinelPassword?: string;
  /** down-after-milliseconds (ms). Default 1,000. */
  readonly downAfterMs?: number;
  /** failover-timeout (ms). Default 3,000. */
  readonly failoverTimeoutMs?: number;
}

/** Starts a master, a replica and three sentinels (quorum 2) and waits until they all see each other. */
export async function startSentinel(options: SentinelOptions = {}): Promise<TestSentinel> {
  const masterName = 'hookpost-test';
  const dir = mkdtempSync(join(tmpdir(), 'hookpost-sentinel-'));
  const servers: TopologyNode[] = [];
  const sentinels: TopologyNode[] = [];
  try {
    const auth = options.password ? ['--requirepass', options.password, '--masterauth', options.password] : [];
    const [masterPort = 0, replicaPort = 0, ...sentinelPorts] = await freePorts(5);
    servers.push(startProcess('redis-server', serverArgs(dir, masterPort, auth), masterPort, options.password));
    await waitUntilAnswers(servers[0] as TopologyNode, join(dir, `redis-${masterPort}.log`));
    servers.push(
      startProcess('redis-server', serverArgs(dir, replicaPort, [...auth, '--replicaof', '127.0.0.1', String(masterPort)]), replicaPort, options.password),
    );
    for (const port of sentinelPorts) {
      const conf = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `logfile ${join(dir, `sentinel-${port}.log`)}`,
          `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${masterName} ${options.downAfterMs ?? 1_000}`,
          `sentinel failover-timeout ${masterName} ${options.failoverTimeoutMs ?? 3_000}`,
          `sentinel parallel-syncs ${masterName} 1`,
          ...(options.password ? [`sentinel auth-pass ${masterName} ${options.password}`] : []),
          ...(options.sentinelPassword ? [`requirepass ${options.sentinelPassword}`, `sentinel sentinel-pass ${options.sentinelPassword}`] : []),
          '',
        ].join('\n'),
      );
      sentinels.push(startProcess('redis-sentinel', [conf], port, options.sentinelPassword));
    }
    await waitFor(
      async () => {
        for (const s of sentinels) {
          const fields = (await s.admin((r) => r.call('SENTINEL', 'MASTER', masterName))) as string[];
          const field = (name: string) => fields[fields.indexOf(name) + 1];
          if (field('num-slaves') !== '1' || field('num-other-sentinels') !== '2' || field('flags') !== 'master') return undefined;
        }
        return true;
      },
      30_000,
      'three sentinels that see the master, its replica and each other',
    );
  } catch (err) {
    await stopAll([...sentinels, ...servers], dir);
    throw err;
  }
  const master = async () => {
    for (const s of sentinels.filter((x) => x.running)) {
      try {
        const [, port] = (await s.admin((r) => r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName))) as string[];
        const node = servers.find((n) => n.port === Number(port));
        if (node) return node;
      } catch {
        // ask the next sentinel
      }
    }
    throw new Error('no sentinel names a master');
  };
  return {
    url:
      `redis+sentinel://${options.password ? `:${encodeURIComponent(options.password)}@` : ''}` +
      `${sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}/${masterName}` +
      (options.sentinelPassword ? `?sentinelPassword=${encodeURIComponent(options.sentinelPassword)}` : ''),
    masterName,
    servers,
    sentinels,
    master,
    waitForReplication: async (timeoutMs = 10_000) => {
      await waitFor(
        async () => {
          const info = await (await master()).admin((r) => r.info('replication'));
          const offset = /master_repl_offset:(\d+)/.exec(info)?.[1];
          const slaves = [...info.matchAll(/slave\d+:.*offset=(\d+)/g)].map((m) => m[1]);
          return slaves.length >= 1 && slaves.every((s) => s === offset) ? true : undefined;
        },
        timeoutMs,
        'the replica to catch up',
      );
    },
    waitForFailover: (old, timeoutMs = 30_000) =>
      waitFor(
        async () => {
          const now = await master();
          if (now === old || !now.running) return undefined;
          const info = await now.admin((r) => r.info('replication'));
          return info.includes('role:master') ? now : undefined;
        },
        timeoutMs,
        'the sentinels to promote the replica',
      ),
    stop: () => stopAll([...sentinels, ...servers], dir),
  };
}
