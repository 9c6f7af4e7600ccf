/**
 * Memory of a worker process that is sent oversized events: twenty 10 MB events pushed raw (plain
 * BullMQ `Queue.add`, as any producer may) onto the events queue of a real worker process, whose
 * resident set size is sampled from /proc while it refuses them. Prints figures; record them in
 * bench/RESULTS.md with the machine and date.
 *
 *   npm run build && node dist/bench/oversized-events.js [--events=20] [--mb=10]
 *
 * Linux only (reads /proc/<pid>/status). Uses the Redis at HOOKPOST_BENCH_REDIS_URL (default
 * redis://127.0.0.1:6379) under a fresh prefix, and removes its keys at the end.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { writeWorkerKeys } from './keys.js';

const arg = (name: string, fallback: number) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
const events = arg('events', 20);
const megabytes = arg('mb', 10);
const redisUrl = process.env.HOOKPOST_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const workerScript = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'workers', 'worker.js');
const prefix = `bench-oversized-${process.pid}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssMiB(pid: number): number {
  const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Math.round(Number(kib) / 1024);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hookpost-bench-'));
  const { env: keyEnv } = writeWorkerKeys(dir);
  const worker = spawn(process.execPath, [workerScript], {
    env: {
      PATH: process.env.PATH ?? '',
      HOOKPOST_REDIS_URL: redisUrl,
      HOOKPOST_PREFIX: prefix,
      ...keyEnv,
      HOOKPOST_METRICS_PORT: String(await freePort()),
      HOOKPOST_API_HOST: '127.0.0.1',
      HOOKPOST_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const pid = worker.pid as number;
  await new Promise<void>((resolve, reject) => {
    worker.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('"engine started"')) resolve();
    });
    worker.on('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
  worker.stdout?.resume();

  const queue = new Queue('events', { connection: { url: redisUrl }, prefix });
  const redis = new Redis(redisUrl);
  try {
    await sleep(2_000);
    const idle = rssMiB(pid);
    let peak = idle;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMiB(pid));
    }, 20);

    const result = 'x'.repeat(megabytes * 1024 * 1024);
    const startedAt = Date.now();
    for (let i = 0; i < events; i++) {
      await queue.add(
        'event',
        {
          project: 'demo',
          object_type: 'deployment',
          object_name: 'model',
          version: 'v1',
          request_id: `big-${i}`,
          status: 'completed',
          result,
        },
        { jobId: `big-${i}` },
      );
    }
    for (;;) {
      const { failed = 0, completed = 0 } = await queue.getJobCounts('failed', 'completed');
      if (failed + completed >= events) break;
      await sleep(50);
    }
    const settledMs = Date.now() - startedAt;
    await sleep(1_000);
    clearInterval(sampler);
    const after = rssMiB(pid);
    const failed = await queue.getJobCounts('failed');
    process.stdout.write(
      `${events} events of ${megabytes} MB pushed raw: worker RSS idle ${idle} MiB, peak ${peak} MiB, ` +
        `1 s after ${after} MiB; all settled in ${settledMs} ms (failed: ${failed.failed})\n`,
    );
  } finally {
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker.once('exit', resolve));
    await queue.close();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await redis.quit();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
