/**
 * The watchdog on the worker's consumer loop (src/queue/worker.ts): the worker's blocking connection
 * goes through a TCP relay that stops relaying (a connection that stopped answering, on an open
 * socket), while its command connection goes straight to Redis. BullMQ's own recovery (drop the
 * blocking connection, connect again, wait for it to be ready) then waits forever; the guarded worker
 * must still take the jobs that arrive.
 */
import { type Server, type Socket, connect, createServer } from 'node:net';
import { Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { GuardedWorker } from '../../../src/queue/worker.js';
import { eventually } from '../../helpers/engine.js';
import { uniquePrefix } from '../../helpers/redis.js';

interface Relay {
  readonly port: number;
  /** From now on nothing is relayed, on open connections and on new ones (which are accepted). */
  freeze(): void;
  close(): Promise<void>;
}

async function startRelay(targetPort: number): Promise<Relay> {
  let frozen = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('error', () => {});
    client.on('close', () => sockets.delete(client));
    if (frozen) return;
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => sockets.delete(upstream));
    client.on('data', (chunk) => {
      if (!frozen) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!frozen) client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    freeze() {
      frozen = true;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A client whose duplicates (BullMQ's blocking connections) connect through `relayPort`. */
class RelayedDuplicates extends Redis {
  constructor(
    url: string,
    private readonly relayPort: number,
    options: RedisOptions,
  ) {
    super(url, options);
  }

  override duplicate(override: Partial<RedisOptions> = {}): Redis {
    return new Redis({ ...this.options, ...override, host: '127.0.0.1', port: this.relayPort });
  }
}

describe('worker consumer-loop watchdog', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  it('takes jobs although its blocking connection stopped answering, and reports the stall', async () => {
    const url = inject('redisUrl');
    const relay = await startRelay(Number(new URL(url).port));
    cleanups.push(() => relay.close());
    const connection = new RelayedDuplicates(url, relay.port, { maxRetriesPerRequest: null });
    connection.on('error', () => {});
    cleanups.push(async () => connection.disconnect());
    const prefix = uniquePrefix('watchdog');
    const queue = new Queue('jobs', { connection, prefix });
    cleanups.push(() => queue.close());
    const done: string[] = [];
    const stalls: string[] = [];
    const worker = new GuardedWorker(
      'jobs',
      async (job) => {
        done.push(String((job.data as { n: string }).n));
      },
      // drainDelay: the blocking wait lasts 1 s when nothing arrives.
      { connection, prefix, autorun: false, drainDelay: 1 },
      { stallGraceMs: 1_000, onStall: (event) => stalls.push(event.state) },
    );
    worker.on('error', () => {});
    cleanups.push(() => worker.close(true));
    await worker.waitUntilReady();
    void worker.run();

    await queue.add('job', { n: 'before' });
    await eventually(() => done.includes('before'), 10_000, 'the first job');

    relay.freeze();
    // Let BullMQ's own recovery begin (its blocking wait times out, it reconnects through the relay).
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    for (let n = 0; n < 3; n++) await queue.add('job', { n: `frozen-${n}` });
    await eventually(() => ['frozen-0', 'frozen-1', 'frozen-2'].every((n) => done.includes(n)), 30_000, 'the jobs added after the freeze');
    // Reported as a stall (BullMQ may get one wait through and stall again: each is one line).
    expect(stalls[0]).toBe('stalled');
  });
});
