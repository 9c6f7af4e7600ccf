/**
 * Isolation benchmark (issue 9; "Isolation" and §12): does a bad endpoint taking 10 % of the
 * events delay the deliveries to a healthy one?
 *
 *   npm run bench:isolation -- [--kinds=blackhole,slow,error] [--ks=1,3,10,50] [--rate=400]
 *     [--phase-seconds=15] [--grace-seconds=10] [--settle-seconds=10] [--warmup-seconds=10]
 *     [--bad-share=0.1] [--retry-schedule=1s,2s,4s] [--worker-env=KEY=VALUE,...] [--redis-url=...] [--series]
 *
 * One hookpost worker process (`dist/workers/worker.js`, default config except http and private
 * targets allowed, the retry schedule, a 5 s shutdown grace and `--worker-env`) runs for the whole
 * run. The producer (this process) publishes paced events, in batches every 10 ms, each with a
 * fresh request_id: 90 % for the object `healthy` (one webhook, a receiver answering 204), 10 %
 * round-robin over K objects whose webhooks (`timeout: 30`, `retry: true`) point at K bad endpoints,
 * each its own origin (port). Phases, in one run: a warm-up (not reported), a baseline with no bad
 * endpoint, then for each kind the phases K = 1, 3, 10, 50, each with a fresh set of bad origins,
 * and the baseline again at the end. The ratio target uses the lower of the two baselines' p99: the
 * first phases of a worker process are its slowest (JIT, connections), and a slow reference must
 * not make the target easier.
 * After a phase's events are published the bench waits (at most the grace) for the healthy ones,
 * then closes that phase's bad endpoints (their leftover deliveries then fail with connection
 * refused) and waits (at most the settle time) for the events queue to empty.
 *
 * Kinds: `blackhole` accepts the TCP connection and never answers; `slow` answers 204 after a
 * random 5-25 s; `error` answers 500 at once. Receivers run in child processes (bench/receiver.ts).
 *
 * Healthy latency is the producer's publish time (just before the batch is sent to Redis) to the
 * receiver's arrival time, both on this machine's clock; an event not delivered by the end of the
 * grace counts with the lower bound (cutoff − publish), printed as `≥`. Worker RSS is VmRSS from
 * /proc (sampled each second, and at the end of the publishing); worker CPU per event is the
 * utime+stime delta over the publishing window divided by the events published in it.
 *
 * Redis: `--redis-url` (or HOOKPOST_BENCH_REDIS_URL) under a fresh prefix whose keys are removed at
 * the end; without either, a private `redis-server` on a free loopback port, stopped at the end.
 * Every loop is bounded; a watchdog stops the run (and cleans up) if it overruns its time budget.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createProducer } from '../src/events/index.js';
import { createKeys } from '../src/redis/index.js';
import { createRegistry } from '../src/registry/index.js';
import { writeWorkerKeys } from './keys.js';

// ---- flags ------------------------------------------------------------------------------------

const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const numberFlag = (name: string, fallback: number, min: number, max: number) => {
  const value = Number(flag(name) ?? fallback);
  if (!Number.isFinite(value) || value < min || value > max) throw new Error(`--${name} must be a number from ${min} to ${max}`);
  return value;
};
const KINDS = ['blackhole', 'slow', 'error'] as const;
type BadKind = (typeof KINDS)[number];
const kinds = (flag('kinds') ?? KINDS.join(',')).split(',').filter(Boolean) as BadKind[];
for (const kind of kinds) if (!KINDS.includes(kind)) throw new Error(`--kinds: unknown kind ${kind}`);
const ks = (flag('ks') ?? '1,3,10,50').split(',').filter(Boolean).map(Number);
for (const k of ks) if (!Number.isInteger(k) || k < 1 || k > 1_000) throw new Error('--ks: integers from 1 to 1000');
const rate = numberFlag('rate', 400, 1, 20_000);
const phaseSeconds = numberFlag('phase-seconds', 15, 1, 600);
const graceSeconds = numberFlag('grace-seconds', 10, 0, 120);
const settleSeconds = numberFlag('settle-seconds', 10, 0, 120);
const warmupSeconds = numberFlag('warmup-seconds', 10, 0, 60);
const drainSeconds = numberFlag('drain-seconds', 15, 0, 300);
const badShare = numberFlag('bad-share', 0.1, 0, 0.9);
const retryScheduleFlag = flag('retry-schedule') ?? '1s,2s,4s';
/** `KEY=VALUE,KEY=VALUE`; a value may contain commas (`HOOKPOST_RETRY_SCHEDULE=1s,2s`). */
const workerEnv = Object.fromEntries(
  (flag('worker-env') ?? '')
    .split(/,(?=[A-Za-z_][A-Za-z0-9_]*=)/)
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf('=');
      if (at <= 0) throw new Error(`--worker-env: expected KEY=VALUE, got ${pair}`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
);
/** `--series`: also print each phase's healthy p99 and max per second of publishing (where a stall sits). */
const printSeries = process.argv.includes('--series');
/** The worker's schedule: `--worker-env=HOOKPOST_RETRY_SCHEDULE=...` wins over `--retry-schedule`. */
const retrySchedule = workerEnv.HOOKPOST_RETRY_SCHEDULE ?? retryScheduleFlag;
const givenRedisUrl = flag('redis-url') ?? process.env.HOOKPOST_BENCH_REDIS_URL;

// ---- small helpers ----------------------------------------------------------------------------

const here = fileURLToPath(new URL('.', import.meta.url));
const workerScript = join(here, '..', 'workers', 'worker.js');
const receiverScript = join(here, 'receiver.js');
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PROJECT = 'bench';
const HEALTHY_OBJECT = 'healthy';
const CLOCK_TICKS_PER_SECOND = 100;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** VmRSS of a process in kB, or NaN once it is gone. */
function rssKb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

/** utime + stime of a process, in clock ticks (1/100 s). */
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ", field 3 (state) is index 0, so utime (14) and stime (15) are 11 and 12.
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return Number.NaN;
  }
}

function percentileOf<T>(sorted: readonly T[], p: number): T | undefined {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return ms < 1_000 ? `${ms.toFixed(1)} ms` : `${(ms / 1_000).toFixed(2)} s`;
}

// ---- what the run starts, and its cleanup -----------------------------------------------------

const children = new Set<ChildProcess>();
const dir = mkdtempSync(join(tmpdir(), 'hookpost-isolation-'));
const { env: keyEnv } = writeWorkerKeys(dir);
const prefix = `isobench${process.pid}x${Date.now().toString(36)}`;
let redisUrl = givenRedisUrl ?? '';
let privateRedis: ChildProcess | undefined;
let admin: Redis | undefined;

async function stopChild(proc: ChildProcess, graceMs = 5_000): Promise<void> {
  children.delete(proc);
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await Promise.race([exited, sleep(graceMs)]);
  if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
}

async function deletePrefixKeys(redis: Redis): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5_000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

let cleaningUp: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaningUp ??= (async () => {
    // Bad receivers and the healthy one first, so that the worker's open attempts end at once.
    const order = [...children].sort((a, b) => Number(a === worker) - Number(b === worker));
    for (const proc of order) if (proc !== privateRedis) await stopChild(proc);
    if (admin) {
      if (!privateRedis) await deletePrefixKeys(admin).catch((err) => console.error('could not delete keys', err));
      await admin.quit().catch(() => undefined);
    }
    if (privateRedis) await stopChild(privateRedis);
    rmSync(dir, { recursive: true, force: true });
  })();
  return cleaningUp;
}

async function startPrivateRedis(): Promise<string> {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  children.add(proc);
  privateRedis = proc;
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      await probe.quit();
      return url;
    } catch {
      probe.disconnect();
      await sleep(100);
    }
  }
  throw new Error(`private redis-server on port ${port} did not answer within 10 s`);
}

// ---- receivers --------------------------------------------------------------------------------

interface ReceiverProcess {
  readonly proc: ChildProcess;
  readonly urls: readonly string[];
  /** Requests (for `blackhole`: connections) received, cumulative. */
  requests(): number;
}

/** First arrival time per request_id at the healthy receiver, and how many came again. */
const healthyArrivals = new Map<string, number>();
let healthyDuplicates = 0;

async function startReceiver(kind: 'ok' | BadKind, ports: number): Promise<ReceiverProcess> {
  const proc = fork(receiverScript, [`--kind=${kind}`, `--ports=${ports}`], { stdio: 'ignore' });
  children.add(proc);
  let requests = 0;
  const listening = await new Promise<number[]>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`receiver (${kind}) exited with ${code} before listening`)));
    proc.on('message', (m: { ports?: number[]; received?: Array<[string, number]>; counts?: Array<[number, number]> }) => {
      if (m.ports) resolve(m.ports);
      for (const [id, at] of m.received ?? []) {
        if (healthyArrivals.has(id)) healthyDuplicates++;
        else healthyArrivals.set(id, at);
      }
      if (m.counts) requests = m.counts.reduce((sum, [, n]) => sum + n, 0);
    });
  });
  return { proc, urls: listening.map((port) => `http://127.0.0.1:${port}`), requests: () => requests };
}

// ---- the worker -------------------------------------------------------------------------------

let worker: ChildProcess | undefined;
const workerStderr = join(dir, 'worker.stderr');

async function startWorker(): Promise<ChildProcess> {
  const metricsPort = await freePort();
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOOKPOST_REDIS_URL: redisUrl,
    HOOKPOST_PREFIX: prefix,
    ...keyEnv,
    HOOKPOST_ALLOW_HTTP: 'true',
    HOOKPOST_ALLOW_PRIVATE_TARGETS: 'true',
    HOOKPOST_METRICS_PORT: String(metricsPort),
    HOOKPOST_RETRY_SCHEDULE: retrySchedule,
    HOOKPOST_SHUTDOWN_TIMEOUT: '5s',
    ...workerEnv,
  };
  // HOOKPOST_BENCH_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, profiles the worker.
  const nodeArgs = process.env.HOOKPOST_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const stderr = openSync(workerStderr, 'w');
  const proc = spawn(process.execPath, [...nodeArgs, workerScript], { env, stdio: ['ignore', 'ignore', stderr] });
  closeSync(stderr);
  children.add(proc);
  proc.once('exit', (code, signal) => {
    if (children.has(proc)) {
      console.error(`worker exited during the run (code ${code}, signal ${signal}); its stderr:`);
      console.error(readFileSync(workerStderr, 'utf8').slice(-4_000));
      void cleanup().then(() => process.exit(1));
    }
  });
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const ready = await new Promise<boolean>((resolve) => {
      get(`http://127.0.0.1:${metricsPort}/readyz`, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      }).on('error', () => resolve(false));
    });
    if (ready) return proc;
    await sleep(200);
  }
  throw new Error('the worker was not ready (/readyz) within 20 s');
}

// ---- phases -----------------------------------------------------------------------------------

interface PhaseResult {
  readonly kind: BadKind | 'baseline' | 'baseline (end)' | 'warm-up';
  readonly k: number;
  readonly published: number;
  readonly achievedRate: number;
  /** Longest gap between two ticks of the publishing loop, ms (the loop's own health). */
  readonly maxTickGapMs: number;
  readonly healthyExpected: number;
  readonly healthyDelivered: number;
  readonly p50: Latency;
  readonly p99: Latency;
  readonly max: Latency;
  readonly rssEndMb: number;
  readonly rssMaxMb: number;
  readonly cpuUsPerEvent: number;
  readonly redisCpuUsPerEvent: number;
  readonly badRequests: number;
  readonly duplicates: number;
  readonly badWebhookIds: readonly string[];
  /** Events not yet taken by the worker when the phase started (left over from the previous phase). */
  readonly backlogAtStart: number;
  /** The machine's 1-minute load average at the start and the end of the publishing (other work shows here). */
  readonly load: readonly [number, number];
}

/** A latency; `atLeast` when the event was not delivered and the value is a lower bound. */
interface Latency {
  readonly ms: number;
  readonly atLeast: boolean;
}

const formatLatency = (l: Latency | undefined) => (l ? `${l.atLeast ? '≥ ' : ''}${formatMs(l.ms)}` : 'n/a');

let phaseNumber = 0;
let rssMaxKb = 0;

async function runPhase(
  kind: PhaseResult['kind'],
  k: number,
  seconds: number,
  deps: { registry: ReturnType<typeof createRegistry>; producer: ReturnType<typeof createProducer>; events: Queue },
): Promise<PhaseResult> {
  const phase = phaseNumber++;
  const workerPid = worker?.pid as number;
  let bad: ReceiverProcess | undefined;
  const badObjects: string[] = [];
  const badWebhookIds: string[] = [];
  if (k > 0 && (KINDS as readonly string[]).includes(kind)) {
    const badKind = kind as BadKind;
    bad = await startReceiver(badKind, k);
    for (let i = 0; i < k; i++) {
      const objectName = `bad-${phase}-${i}`;
      const webhook = await deps.registry.create(PROJECT, {
        name: `bad-${phase}-${i}`,
        url: `${bad.urls[i]}/hook`,
        object_type: 'deployment',
        object_name: objectName,
        version: 'v1',
        event: 'deployment_request_completed',
        timeout: 30,
        retry: true,
      } as Parameters<typeof deps.registry.create>[1]);
      badObjects.push(objectName);
      badWebhookIds.push(webhook.id);
    }
    await sleep(300);
  }

  const total = Math.round(rate * seconds);
  const published = new Map<string, number>();
  const backlog = await deps.events.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
  const backlogAtStart = Object.values(backlog).reduce((a, b) => a + b, 0);
  const loadAtStart = loadavg()[0] ?? Number.NaN;
  let badIndex = 0;
  rssMaxKb = rssKb(workerPid);
  const cpu0 = cpuTicks(workerPid);
  const redisCpu0 = privateRedis?.pid ? cpuTicks(privateRedis.pid) : Number.NaN;
  const t0 = now();
  let sent = 0;
  let lastTick = t0;
  let maxTickGapMs = 0;
  while (sent < total) {
    const tick = now();
    maxTickGapMs = Math.max(maxTickGapMs, tick - lastTick);
    lastTick = tick;
    const due = Math.min(total, Math.floor(((tick - t0) * rate) / 1_000) + 1);
    if (due > sent) {
      const batch: unknown[] = [];
      const healthyIds: string[] = [];
      for (; sent < due; sent++) {
        const requestId = `${prefix}-${phase}-${sent}`;
        const toBad = badObjects.length > 0 && Math.floor((sent + 1) * badShare) > Math.floor(sent * badShare);
        const objectName = toBad ? (badObjects[badIndex++ % badObjects.length] as string) : HEALTHY_OBJECT;
        if (!toBad) healthyIds.push(requestId);
        batch.push({
          project: PROJECT,
          object_type: 'deployment',
          object_name: objectName,
          version: 'v1',
          request_id: requestId,
          status: 'completed',
          result: { label: 'positive', score: 0.97 },
        });
      }
      const publishedAt = now();
      for (const id of healthyIds) published.set(id, publishedAt);
      await deps.producer.publishMany(batch);
    }
    const next = t0 + Math.ceil((now() - t0 + 0.001) / 10) * 10;
    await sleep(Math.max(0, next - now()));
  }
  const tEnd = now();
  const cpu1 = cpuTicks(workerPid);
  const redisCpu1 = privateRedis?.pid ? cpuTicks(privateRedis.pid) : Number.NaN;
  const rssEndKb = rssKb(workerPid);
  const loadAtEnd = loadavg()[0] ?? Number.NaN;
  rssMaxKb = Math.max(rssMaxKb, rssEndKb);

  const cutoff = tEnd + graceSeconds * 1_000;
  const missing = () => {
    let n = 0;
    for (const id of published.keys()) if (!healthyArrivals.has(id)) n++;
    return n;
  };
  while (now() < cutoff && missing() > 0) await sleep(50);
  const badRequests = bad?.requests() ?? 0;

  const latencies: Latency[] = [];
  for (const [id, at] of published) {
    const arrived = healthyArrivals.get(id);
    latencies.push(
      arrived !== undefined && arrived <= cutoff ? { ms: arrived - at, atLeast: false } : { ms: cutoff - at, atLeast: true },
    );
  }
  if (printSeries) {
    const perSecond: number[][] = [];
    for (const [id, at] of published) {
      const arrived = healthyArrivals.get(id);
      const second = Math.floor((at - t0) / 1_000);
      const bucket = perSecond[second] ?? [];
      perSecond[second] = bucket;
      bucket.push(arrived !== undefined && arrived <= cutoff ? arrived - at : Number.POSITIVE_INFINITY);
    }
    const cells = perSecond.map((xs) => {
      xs.sort((a, b) => a - b);
      const shown = (ms: number | undefined) => (ms === Number.POSITIVE_INFINITY ? 'not delivered' : formatMs(ms ?? Number.NaN));
      return `${shown(percentileOf(xs, 99))}/${shown(xs[xs.length - 1])}`;
    });
    console.log(`    ${kind} K=${k}, healthy p99/max per second of publishing: ${cells.join(', ')}`);
  }
  latencies.sort((a, b) => a.ms - b.ms || Number(a.atLeast) - Number(b.atLeast));
  const delivered = latencies.filter((l) => !l.atLeast).length;
  const duplicates = healthyDuplicates;
  healthyDuplicates = 0;
  for (const id of published.keys()) healthyArrivals.delete(id);

  if (bad) await stopChild(bad.proc);
  const settleDeadline = now() + settleSeconds * 1_000;
  while (now() < settleDeadline) {
    const counts = await deps.events.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    if (Object.values(counts).every((n) => n === 0)) break;
    await sleep(200);
  }

  const elapsedS = (tEnd - t0) / 1_000;
  return {
    kind,
    k,
    published: total,
    achievedRate: total / elapsedS,
    maxTickGapMs,
    healthyExpected: published.size,
    healthyDelivered: delivered,
    p50: percentileOf(latencies, 50) ?? { ms: Number.NaN, atLeast: false },
    p99: percentileOf(latencies, 99) ?? { ms: Number.NaN, atLeast: false },
    max: latencies[latencies.length - 1] ?? { ms: Number.NaN, atLeast: false },
    rssEndMb: rssEndKb / 1024,
    rssMaxMb: rssMaxKb / 1024,
    cpuUsPerEvent: ((cpu1 - cpu0) / CLOCK_TICKS_PER_SECOND / total) * 1e6,
    redisCpuUsPerEvent: ((redisCpu1 - redisCpu0) / CLOCK_TICKS_PER_SECOND / total) * 1e6,
    badRequests,
    duplicates,
    badWebhookIds,
    backlogAtStart,
    load: [loadAtStart, loadAtEnd],
  };
}

// ---- after the run: queues and dead letters ---------------------------------------------------

/** Names of the BullMQ queues under the prefix, found from their keys (whatever the engine names them). */
async function queueNames(redis: Redis): Promise<string[]> {
  const names = new Set<string>();
  const pattern = new RegExp(`^${prefix}:([^:]+):(wait|active|delayed|completed|failed|paused|prioritized|id|meta|events)$`);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5_000);
    cursor = next;
    for (const key of keys) {
      const name = pattern.exec(key)?.[1];
      if (name) names.add(name);
    }
  } while (cursor !== '0');
  return [...names].sort();
}

async function queueCounts(redis: Redis): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const name of await queueNames(redis)) {
    const queue = new Queue(name, { connection: redis, prefix });
    out[name] = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed');
    await queue.close();
  }
  return out;
}

/** Dead letters of the bench project (src/dead-letters/store.ts), counted per webhook id. */
async function deadLettersByWebhook(redis: Redis): Promise<Map<string, number>> {
  const keys = createKeys(prefix);
  const ids = await redis.zrange(keys.deadLetters(PROJECT), 0, -1);
  const byWebhook = new Map<string, number>();
  for (let i = 0; i < ids.length; i += 500) {
    const records = await redis.mget(ids.slice(i, i + 500).map((id) => keys.deadLetter(PROJECT, id)));
    for (const raw of records) {
      if (!raw) continue;
      const webhookId = (JSON.parse(raw) as { webhookId?: string }).webhookId ?? '?';
      byWebhook.set(webhookId, (byWebhook.get(webhookId) ?? 0) + 1);
    }
  }
  return byWebhook;
}

// ---- main -------------------------------------------------------------------------------------

async function main() {
  const phases = 2 + kinds.length * ks.length;
  const budgetS = warmupSeconds + phases * (phaseSeconds + graceSeconds + settleSeconds + 20) + drainSeconds + 120;
  setTimeout(() => {
    console.error(`isolation bench: over its time budget of ${budgetS} s; stopping`);
    void cleanup().then(() => process.exit(2));
  }, budgetS * 1_000).unref();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanup().then(() => process.exit(130)));
  }

  redisUrl = givenRedisUrl ?? (await startPrivateRedis());
  admin = new Redis(redisUrl);
  const registry = createRegistry({ redis: admin, keys: createKeys(prefix) });
  const healthy = await startReceiver('ok', 1);
  await registry.create(PROJECT, {
    name: 'healthy',
    url: `${healthy.urls[0]}/hook`,
    object_type: 'deployment',
    object_name: HEALTHY_OBJECT,
    version: 'v1',
    event: 'deployment_request_completed',
    retry: true,
  } as Parameters<typeof registry.create>[1]);
  worker = await startWorker();
  const producer = createProducer({ redis: redisUrl, prefix });
  const events = new Queue('events', { connection: admin, prefix });
  const deps = { registry, producer, events };

  console.log(
    `hookpost isolation benchmark — node ${process.version}, ${new Date().toISOString()}, ` +
      `${rate} events/s, ${phaseSeconds} s per phase, ${Math.round(badShare * 100)} % to the bad endpoints, ` +
      `grace ${graceSeconds} s, retry schedule ${retrySchedule}, Redis ${givenRedisUrl ? redisUrl : 'private redis-server'}` +
      (Object.keys(workerEnv).length > 0 ? `, worker env ${JSON.stringify(workerEnv)}` : ''),
  );
  if (warmupSeconds > 0) {
    const warm = await runPhase('warm-up', 0, warmupSeconds, deps);
    console.log(`warm-up (not reported): p99 ${formatLatency(warm.p99)}, ${warm.healthyDelivered}/${warm.healthyExpected}`);
  }
  const results: PhaseResult[] = [];
  const report = (r: PhaseResult) => {
    results.push(r);
    console.log(
      `  ${r.kind} K=${r.k}: healthy p50 ${formatLatency(r.p50)}, p99 ${formatLatency(r.p99)}, max ${formatLatency(r.max)}, ` +
        `${r.healthyDelivered}/${r.healthyExpected} delivered, ${r.achievedRate.toFixed(0)} events/s, ` +
        `worker RSS ${r.rssMaxMb.toFixed(0)} MB max, ${r.cpuUsPerEvent.toFixed(0)} µs CPU/event, bad-endpoint requests ${r.badRequests}`,
    );
  };
  report(await runPhase('baseline', 0, phaseSeconds, deps));
  for (const kind of kinds) for (const k of ks) report(await runPhase(kind, k, phaseSeconds, deps));
  // Run again at the end: how far the baseline itself drifts within one run.
  report(await runPhase('baseline (end)', 0, phaseSeconds, deps));

  const drainDeadline = now() + drainSeconds * 1_000;
  let counts = await queueCounts(admin);
  const busy = (c: typeof counts) =>
    Object.values(c).some((q) => (q.waiting ?? 0) + (q.active ?? 0) + (q.delayed ?? 0) + (q.prioritized ?? 0) > 0);
  while (busy(counts) && now() < drainDeadline) {
    await sleep(500);
    counts = await queueCounts(admin);
  }
  const dead = await deadLettersByWebhook(admin);
  const finalRss = rssKb(worker.pid as number) / 1024;
  await producer.close();
  await events.close();

  const baselineP99 = Math.min(
    ...results.filter((r) => r.kind.startsWith('baseline')).map((r) => (r.p99.atLeast ? Number.POSITIVE_INFINITY : r.p99.ms)),
  );
  console.log('');
  console.log('| kind | K | healthy p50 | p99 | max | delivered | p99 / baseline p99 | worker RSS max | bad-endpoint requests | targets |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of results) {
    const ratio = r.p99.ms / baselineP99;
    const share = r.healthyDelivered / r.healthyExpected;
    const misses: string[] = [];
    const isBaseline = r.kind.startsWith('baseline');
    if (!isBaseline && !(ratio <= 2)) misses.push('p99');
    if (share < 1) misses.push('delivered');
    if (r.k >= 50 && !(r.rssMaxMb <= 300)) misses.push('RSS');
    console.log(
      `| ${r.kind} | ${r.k} | ${formatLatency(r.p50)} | ${formatLatency(r.p99)} | ${formatLatency(r.max)} | ` +
        `${r.healthyDelivered}/${r.healthyExpected} (${(share * 100).toFixed(1)} %) | ` +
        `${r.p99.atLeast ? '≥ ' : ''}${ratio.toFixed(2)} | ${r.rssMaxMb.toFixed(0)} MB | ` +
        `${isBaseline ? '—' : r.badRequests} | ${misses.length === 0 ? 'met' : `missed: ${misses.join(', ')}`} |`,
    );
  }
  console.log('');
  console.log(
    `Targets: healthy p99 ≤ 2× the baseline p99 (${formatMs(baselineP99)}, the lower of the two baseline phases); 100 % of healthy events delivered within ` +
      `the phase + ${graceSeconds} s; worker RSS ≤ 300 MB at K = 50. "≥" marks a lower bound (not delivered by the cutoff). ` +
      'Bad-endpoint requests of blackhole phases are TCP connections (one request each).',
  );
  console.log('');
  console.log('| kind | K | events (achieved rate) | publish loop max gap | worker RSS at end | worker CPU / event | Redis CPU / event | healthy duplicates | dead letters (end of run) | events backlog at start | load avg (1 min) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of results) {
    const deadLetters = r.badWebhookIds.reduce((sum, id) => sum + (dead.get(id) ?? 0), 0);
    console.log(
      `| ${r.kind} | ${r.k} | ${r.published} (${r.achievedRate.toFixed(0)}/s) | ${r.maxTickGapMs.toFixed(0)} ms | ` +
        `${r.rssEndMb.toFixed(0)} MB | ${r.cpuUsPerEvent.toFixed(0)} µs | ` +
        `${Number.isFinite(r.redisCpuUsPerEvent) ? `${r.redisCpuUsPerEvent.toFixed(0)} µs` : 'n/a'} | ${r.duplicates} | ` +
        `${r.kind.startsWith('baseline') ? '—' : deadLetters} | ${r.backlogAtStart} | ` +
        `${r.load[0].toFixed(1)} → ${r.load[1].toFixed(1)} |`,
    );
  }
  console.log('');
  console.log(
    `End of run (after up to ${drainSeconds} s of drain): worker RSS ${finalRss.toFixed(0)} MB; queue job counts ${JSON.stringify(counts)}; ` +
      `dead letters in total ${[...dead.values()].reduce((a, b) => a + b, 0)}.`,
  );
}

try {
  await main();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await cleanup();
}
process.exit();
