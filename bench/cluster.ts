/**
 * Redis Cluster benchmark: how the Redis load of event delivery divides over a cluster's masters
 * with 1 vs 3 events queue shards (HOOKPOST_SHARDS). Starts its own 3-master cluster on loopback
 * (test/helpers/topology.ts, no replicas: they would take CPU from the same two cores), then per
 * shard count: pre-loads the events, starts one worker process (dist/workers/worker.js), and times
 * first to last receipt at a receiver process, counting every delivery. Redis CPU is read from each
 * node's INFO cpu (used_cpu_sys + used_cpu_user), the worker's from /proc, from the first delivery
 * to the last (start-up left out); publishing is measured separately (addBulk, before the worker).
 *
 *   npm run bench:cluster [-- --events=20000]
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createProducer } from '../src/events/index.js';
import { shardOf, shardPrefix } from '../src/events/shards.js';
import { createRedis } from '../src/redis/index.js';
import { createKeys } from '../src/redis/index.js';
import { createRegistry } from '../src/registry/index.js';
import { type TestCluster, startCluster } from '../test/helpers/topology.js';
import { writeWorkerKeys } from './keys.js';

const eventsArg = process.argv.find((a) => a.startsWith('--events='));
const EVENTS = eventsArg ? Number(eventsArg.slice(9)) : 20_000;
const OBJECTS = 300;
const here = fileURLToPath(new URL('.', import.meta.url));
const workerScript = join(here, '..', 'workers', 'worker.js');
const receiverScript = join(here, 'receiver.js');
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), 'hookpost-bench-cluster-'));
const { env: keyEnv } = writeWorkerKeys(dir);

interface Receiver {
  readonly url: string;
  readonly proc: ChildProcess;
  count(): number;
  first(): number;
  last(): number;
  reset(): void;
}

async function startReceiver(): Promise<Receiver> {
  const proc = fork(receiverScript, [], { stdio: 'ignore' });
  let total = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  const port = await new Promise<number>((resolve) => {
    proc.on('message', (m: { port?: number; received?: Array<[string, number]> }) => {
      if (m.port) resolve(m.port);
      for (const [, at] of m.received ?? []) {
        total++;
        first = Math.min(first, at);
        last = Math.max(last, at);
      }
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    proc,
    count: () => total,
    first: () => first,
    last: () => last,
    reset() {
      total = 0;
      first = Number.POSITIVE_INFINITY;
      last = 0;
    },
  };
}

/** Seconds of CPU (user + sys) of each node, by port. */
async function redisCpu(cluster: TestCluster): Promise<Map<number, number>> {
  const cpu = new Map<number, number>();
  for (const node of cluster.nodes) {
    const info = await node.admin((r) => r.info('cpu'));
    const field = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0);
    cpu.set(node.port, field('used_cpu_sys') + field('used_cpu_user'));
  }
  return cpu;
}

/** Seconds of CPU (user + sys) of a process so far, from /proc. */
function processCpu(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function startWorker(url: string, prefix: string, shards: number, metricsPort: number): ChildProcess {
  const env = {
    PATH: process.env.PATH,
    HOOKPOST_REDIS_URL: url,
    HOOKPOST_PREFIX: prefix,
    HOOKPOST_SHARDS: String(shards),
    ...keyEnv,
    HOOKPOST_ALLOW_HTTP: 'true',
    HOOKPOST_ALLOW_PRIVATE_TARGETS: 'true',
    HOOKPOST_METRICS_PORT: String(metricsPort),
    HOOKPOST_LOG_LEVEL: 'warn',
    HOOKPOST_SHUTDOWN_TIMEOUT: '2s',
    HOOKPOST_CONCURRENCY: '64',
  };
  return fork(workerScript, [], { env, stdio: 'ignore' });
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await Promise.race([exited, sleep(5_000)]);
  if (proc.exitCode === null) proc.kill('SIGKILL');
}

const objectName = (i: number) => `model-${i % OBJECTS}`;

async function run(cluster: TestCluster, receiver: Receiver, shards: number, label: string) {
  const prefix = `{bench-${label}}`;
  const redis = createRedis(cluster.url, 'commands');
  const registry = createRegistry({ redis, keys: createKeys(prefix) });
  for (let o = 0; o < OBJECTS; o++) {
    await registry.create('bench', {
      name: `hook-${o}`,
      url: `${receiver.url}/hook`,
      object_type: 'deployment',
      object_name: objectName(o),
      version: 'v1',
      event: 'deployment_request_completed',
    } as Parameters<typeof registry.create>[1]);
  }
  const producer = createProducer({ redis: cluster.url, prefix, shards });
  const events = Array.from({ length: EVENTS }, (_, i) => ({
    project: 'bench',
    object_type: 'deployment',
    object_name: objectName(i),
    version: 'v1',
    request_id: `r${i}`,
    status: 'completed',
    result: { label: 'positive', score: 0.97 },
  }));
  const beforePublish = await redisCpu(cluster);
  const publishStart = now();
  await producer.publishMany(events);
  const publishMs = now() - publishStart;
  await producer.close();
  const afterPublish = await redisCpu(cluster);

  // Which master serves each shard, and how many events each shard got.
  const perShard = Array.from({ length: shards }, () => 0);
  for (const e of events) perShard[shardOf(e, shards)] = (perShard[shardOf(e, shards)] ?? 0) + 1;
  const shardNodes: number[] = [];
  for (let s = 0; s < shards; s++) shardNodes.push((await cluster.masterOf(`${shardPrefix(prefix, s, shards)}:events`)).port);
  const mainNode = (await cluster.masterOf(`${prefix}:x`)).port;

  receiver.reset();
  const worker = startWorker(cluster.url, prefix, shards, 20_000 + Math.floor(Math.random() * 20_000));
  const workerStart = now();
  const deadline = Date.now() + 180_000;
  while (receiver.count() === 0) {
    if (Date.now() > deadline) throw new Error('no delivery');
    await sleep(5);
  }
  // CPU from the first delivery on: the worker's start-up (module loading, connections) is left out.
  const before = await redisCpu(cluster);
  const workerBeforeS = processCpu(worker.pid);
  const countedFrom = receiver.count();
  while (receiver.count() < EVENTS) {
    if (Date.now() > deadline) throw new Error(`received ${receiver.count()} of ${EVENTS}`);
    await sleep(20);
  }
  await sleep(300); // late duplicates would show as count > EVENTS
  const after = await redisCpu(cluster);
  const workerCpuS = processCpu(worker.pid) - workerBeforeS;
  const measured = EVENTS - countedFrom;
  await stop(worker);
  await redis.quit();

  const seconds = (receiver.last() - receiver.first()) / 1000;
  const perNode = cluster.nodes.map((n) => ({
    port: n.port,
    deliverUs: (((after.get(n.port) ?? 0) - (before.get(n.port) ?? 0)) * 1e6) / measured,
    publishUs: (((afterPublish.get(n.port) ?? 0) - (beforePublish.get(n.port) ?? 0)) * 1e6) / EVENTS,
    role: [n.port === mainNode ? 'main prefix' : '', ...shardNodes.flatMap((p, s) => (p === n.port ? [`shard ${s}`] : []))].filter(Boolean).join(', '),
  }));
  return {
    shards,
    delivered: receiver.count(),
    perSecond: Math.round((EVENTS - 1) / seconds),
    perSecondFromStart: Math.round(EVENTS / ((receiver.last() - workerStart) / 1000)),
    publishPerSecond: Math.round((EVENTS * 1000) / publishMs),
    perShard,
    perNode,
    redisDeliverUs: perNode.reduce((s, n) => s + n.deliverUs, 0),
    redisPublishUs: perNode.reduce((s, n) => s + n.publishUs, 0),
    workerUs: (workerCpuS * 1e6) / measured,
  };
}

const cluster = await startCluster({ masters: 3, replicas: 0 });
const receiver = await startReceiver();
try {
  const results = [];
  for (const [shards, label] of [
    [1, 'one'],
    [3, 'three'],
  ] as const) {
    const r = await run(cluster, receiver, shards, label);
    results.push(r);
    console.log(`\n== ${shards} shard(s): ${r.delivered} deliveries of ${EVENTS} events`);
    console.log(`   delivered ${r.perSecond}/s first→last (${r.perSecondFromStart}/s from worker start); published ${r.publishPerSecond}/s`);
    console.log(`   events per shard: ${r.perShard.join(', ')}`);
    console.log(`   Redis CPU per event, all nodes: deliver ${r.redisDeliverUs.toFixed(1)} µs, publish ${r.redisPublishUs.toFixed(1)} µs; worker ${r.workerUs.toFixed(0)} µs`);
    for (const n of r.perNode) {
      console.log(`   node ${n.port}: deliver ${n.deliverUs.toFixed(1)} µs/event, publish ${n.publishUs.toFixed(1)} µs/event ${n.role ? `(${n.role})` : ''}`);
    }
  }
  console.log(`\n${JSON.stringify({ date: new Date().toISOString(), node: process.version, events: EVENTS, results })}`);
} finally {
  await stop(receiver.proc);
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
