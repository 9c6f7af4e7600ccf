/**
 * Retention benchmark (issue 8, section 5): events pushed by a plain BullMQ client with no job
 * options (no removeOnComplete) must not pile up in Redis. Pushes N events (default 1,000,000) with
 * `Queue.addBulk` and no options onto the events queue of a running hookpost worker, waits until
 * they are all consumed, and prints Redis `used_memory` before, during and at the end.
 *
 *   npm run bench:retention -- [--events=1000000] [--chunk=1000]
 *
 * Runs on a private `redis-server` (free loopback port, no persistence) that it stops at the end,
 * with one worker process (`dist/workers/worker.js`, default retention: completed jobs 1 h /
 * 10,000). The events match no webhook (the cost measured is the queue's, not deliveries'). Bounded:
 * it gives up after 20 minutes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { writeWorkerKeys } from './keys.js';

const flag = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
const total = flag('events', 1_000_000);
const chunk = flag('chunk', 1_000);
const here = fileURLToPath(new URL('.', import.meta.url));
const deadline = Date.now() + 20 * 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

const children: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'hookpost-retention-'));
const stop = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', stop);

const port = await freePort();
children.push(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }));
const url = `redis://127.0.0.1:${port}`;
const redis = new Redis(url, { maxRetriesPerRequest: null });
redis.on('error', () => {}); // until redis-server is up
for (;;) {
  try {
    if ((await redis.ping()) === 'PONG') break;
  } catch {
    // not up yet
  }
  await sleep(50);
}
const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? Number.NaN);
const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;

const { env: keyEnv } = writeWorkerKeys(dir);
const worker = spawn(process.execPath, [join(here, '..', 'workers', 'worker.js')], {
  env: {
    PATH: process.env.PATH ?? '',
    HOOKPOST_REDIS_URL: url,
    ...keyEnv,
    HOOKPOST_METRICS_PORT: String(await freePort()),
    HOOKPOST_API_HOST: '127.0.0.1',
    HOOKPOST_LOG_LEVEL: 'warn',
  },
  stdio: 'ignore',
});
children.push(worker);

const events = new Queue('events', { connection: redis, prefix: 'hookpost' });
const before = await usedMemory();
console.log(`hookpost retention benchmark — node ${process.version}, ${new Date().toISOString()}, ${total} events pushed with addBulk and no job options`);
console.log(`Redis used_memory before: ${mb(before)}`);
let peak = before;
const startedAt = Date.now();
for (let sent = 0; sent < total; sent += chunk) {
  const n = Math.min(chunk, total - sent);
  await events.addBulk(
    Array.from({ length: n }, (_, i) => ({
      name: 'e',
      data: {
        project: 'bench',
        object_type: 'deployment',
        object_name: 'nobody-listens',
        version: 'v1',
        request_id: `r-${sent + i}`,
        status: 'completed',
        result: { score: 0.5, label: 'positive' },
      },
    })),
  );
  // Keep the backlog bounded so the figure is about retention, not about a queue the worker is behind on.
  for (;;) {
    const waiting = await events.getWaitingCount();
    if (waiting < 20_000 || Date.now() > deadline) break;
    await sleep(50);
  }
  if ((sent / chunk) % 100 === 0) {
    const now = await usedMemory();
    peak = Math.max(peak, now);
    const counts = await events.getJobCounts('waiting', 'active', 'completed', 'failed');
    console.log(`  ${sent + n} pushed after ${((Date.now() - startedAt) / 1000).toFixed(0)} s: used_memory ${mb(now)}, jobs ${JSON.stringify(counts)}`);
  }
  if (Date.now() > deadline) throw new Error('gave up after 20 minutes');
}
for (;;) {
  const counts = await events.getJobCounts('waiting', 'active');
  if ((counts.waiting ?? 0) + (counts.active ?? 0) === 0 || Date.now() > deadline) break;
  await sleep(200);
}
const end = await usedMemory();
peak = Math.max(peak, end);
const counts = await events.getJobCounts('waiting', 'active', 'completed', 'failed');
console.log(
  `done after ${((Date.now() - startedAt) / 1000).toFixed(0)} s: used_memory ${mb(end)} (peak sampled ${mb(peak)}, before ${mb(before)}), jobs ${JSON.stringify(counts)}`,
);
await events.close();
await redis.quit();
process.exit(0);
