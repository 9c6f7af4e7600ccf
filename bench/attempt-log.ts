/**
 * Attempt log benchmark: CPU per record (this process and Redis) through the real writer, and Redis
 * memory after 1,000,000 deliveries' records with the default retention (1,000 per webhook).
 *
 *   npm run build && node dist/bench/attempt-log.js [--records=1000000] [--webhooks=100]
 *
 * Uses HOOKPOST_BENCH_REDIS_URL when set (under a fresh prefix, keys removed at the end), else starts
 * its own redis-server on a free port (no persistence) and stops it at the end.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { type AttemptRecord, createAttemptLogReader, createAttemptLogWriter } from '../src/attempts/index.js';
import type { RequestEvent } from '../src/events/index.js';
import { createLogger } from '../src/observability/logger.js';
import { createKeys } from '../src/redis/index.js';

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const RECORDS = arg('records', 1_000_000);
const WEBHOOKS = arg('webhooks', 100);
const CPU_RECORDS = arg('cpu-records', 200_000);
const PER_WEBHOOK = 1_000;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function startRedis(): Promise<{ url: string; proc?: ChildProcess }> {
  if (process.env['HOOKPOST_BENCH_REDIS_URL']) return { url: process.env['HOOKPOST_BENCH_REDIS_URL'] };
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return { url, proc };
    } catch {
      probe.disconnect();
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error('redis-server did not start');
}

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const read = (name: string) => Number(/^(\S+):(\S+)$/m.test(info) ? new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1] : 0);
  return read('used_cpu_user') + read('used_cpu_sys');
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? 0);
}

const event: RequestEvent = {
  project: 'bench',
  object_type: 'deployment',
  object_name: 'sentiment-model',
  object_id: '0b7d2b8e-7f3c-4c55-9d6f-0e8c9b1a2f30',
  version: 'v3',
  version_id: '6a1f4e2c-1d3b-4f5a-8e7d-9c0b1a2d3e4f',
  is_default_version: true,
  request_id: 'req-00000000',
  status: 'completed',
  result: { label: 'positive', score: 0.9731, tokens: 128 },
};

/** A typical settled attempt: success with a short JSON answer, one in ten a retry with an error. */
function recordOf(i: number, webhookIds: readonly string[], deliveryIds: readonly string[]): AttemptRecord {
  const failed = i % 10 === 0;
  const now = Date.now();
  return {
    deliveryId: deliveryIds[i % deliveryIds.length] as string,
    project: 'bench',
    webhookId: webhookIds[i % webhookIds.length] as string,
    webhookName: `hook-${i % webhookIds.length}`,
    event: 'deployment_request_completed',
    requestId: `req-${i}`,
    attempt: 1,
    startedAt: now - 3,
    durationMs: 3.2,
    outcome: failed ? 'retrying' : 'success',
    httpStatus: failed ? 503 : 200,
    ...(failed ? { errorCode: 'HTTP_503', errorMessage: 'Received HTTP 503', nextAttemptAt: now + 10_000 } : {}),
    responseExcerpt: failed ? 'upstream unavailable, try again later' : '{"received":true}',
  };
}

async function feed(
  writer: ReturnType<typeof createAttemptLogWriter>,
  count: number,
  make: (i: number) => AttemptRecord,
  onProgress?: (done: number) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    writer.record(make(i), { ...event, request_id: `req-${i}` });
    // Keep the buffer below its cap, as a worker producing at full speed would.
    if (writer.stats().buffered >= 4_096) while (writer.stats().buffered >= 1_024) await new Promise((r) => setImmediate(r));
    if (onProgress && (i + 1) % 250_000 === 0) {
      await writer.flush();
      await onProgress(i + 1);
    }
  }
  await writer.flush();
}

async function main() {
  const redisServer = await startRedis();
  const redis = new Redis(redisServer.url, { enableAutoPipelining: true });
  const prefix = `bench-attempts-${randomUUID().slice(0, 8)}`;
  const keys = createKeys(prefix);
  const logger = createLogger({ level: 'warn' });
  const version = (await redis.info('server')).match(/redis_version:(\S+)/)?.[1];
  console.log(`Redis ${version} at ${redisServer.url}; Node ${process.version}; ${new Date().toISOString()}`);
  const webhookIds = Array.from({ length: WEBHOOKS }, () => randomUUID());

  // 1. CPU per record: fresh delivery ids (one attempt each), 10 % retries.
  {
    const writer = createAttemptLogWriter({ redis, keys, logger, maxPerWebhook: PER_WEBHOOK, maxAgeMs: 7 * 24 * 3_600_000 });
    const ids = Array.from({ length: CPU_RECORDS }, () => randomUUID());
    await feed(writer, 20_000, (i) => recordOf(i, webhookIds, ids)); // warm-up (JIT, script load, index fill)
    const cpu0 = process.cpuUsage();
    const redis0 = await redisCpuSeconds(redis);
    const t0 = performance.now();
    await feed(writer, CPU_RECORDS, (i) => recordOf(i, webhookIds, ids));
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const redisS = (await redisCpuSeconds(redis)) - redis0;
    const nodeUs = ((cpu.user + cpu.system) / CPU_RECORDS).toFixed(1);
    const redisUs = ((redisS * 1e6) / CPU_RECORDS).toFixed(1);
    // The cost of making the records themselves (done by settleAndRecord anyway), to separate it out.
    const base0 = process.cpuUsage();
    let sink = 0;
    for (let i = 0; i < CPU_RECORDS; i++) sink += recordOf(i, webhookIds, ids).attempt;
    const base = process.cpuUsage(base0);
    console.log(
      `cpu: ${CPU_RECORDS} records in ${wallS.toFixed(2)} s (${Math.round(CPU_RECORDS / wallS)}/s): ` +
        `this process ${nodeUs} µs/record (of which making the record object ${((base.user + base.system) / CPU_RECORDS).toFixed(1)} µs), ` +
        `Redis ${redisUs} µs/record; written ${writer.stats().written}, dropped ${writer.stats().dropped} (sink ${sink > 0})`,
    );
    await writer.close();
    await deleteKeys(redis, prefix);
  }

  // 2. Memory: RECORDS deliveries over WEBHOOKS webhooks with the default retention.
  {
    const baseline = await usedMemory(redis);
    const writer = createAttemptLogWriter({ redis, keys, logger, maxPerWebhook: PER_WEBHOOK, maxAgeMs: 7 * 24 * 3_600_000 });
    const t0 = performance.now();
    let counter = 0;
    const make = (i: number): AttemptRecord => recordOf(i, webhookIds, [`${(counter++).toString(16).padStart(8, '0')}-0000-8000-8000-000000000000`]);
    await feed(writer, RECORDS, make, async (done) => {
      const used = await usedMemory(redis);
      console.log(`memory: after ${done} deliveries used_memory ${(used / 1e6).toFixed(1)} MB (+${((used - baseline) / 1e6).toFixed(1)} MB over the empty prefix)`);
    });
    const wallS = (performance.now() - t0) / 1000;
    const used = (await usedMemory(redis)) - baseline;
    const retained = await redis.zcard(keys.attemptDeliveries('bench'));
    const hashes = (await redis.dbsize()) - 2 * WEBHOOKS - 1;
    const sample = await redis.memory('USAGE', keys.attemptDelivery('bench', `${(counter - 1).toString(16).padStart(8, '0')}-0000-8000-8000-000000000000`));
    const reader = createAttemptLogReader({ redis, keys });
    const page = await reader.list('bench', { limit: 50 });
    console.log(
      `memory: ${RECORDS} deliveries in ${wallS.toFixed(1)} s; retained ${retained} (${WEBHOOKS} webhooks x ${PER_WEBHOOK}), ~${hashes} delivery hashes; ` +
        `used_memory +${(used / 1e6).toFixed(1)} MB = ${Math.round(used / retained)} B per retained delivery ` +
        `(MEMORY USAGE of one delivery hash: ${sample} B); newest page of 50 read back: ${page.items.length}; dropped ${writer.stats().dropped}`,
    );
    await writer.close();
  }

  await deleteKeys(redis, prefix);
  redis.disconnect();
  redisServer.proc?.kill('SIGTERM');
}

async function deleteKeys(redis: Redis, prefix: string) {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await redis.unlink(...found);
  } while (cursor !== '0');
}

await main();
