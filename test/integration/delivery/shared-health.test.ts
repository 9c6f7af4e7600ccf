/** Shared endpoint health on a real Redis: circuits one process opens are open in the others, and expire. */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { type AttemptReport, type DestinationGate, createDestinationGate, createSharedHealth, type SharedHealth } from '../../../src/delivery/index.js';
import { createLogger } from '../../../src/observability/logger.js';
import { type RedisClient, createRedis } from '../../../src/redis/index.js';
import { createKeys } from '../../../src/redis/index.js';
import { eventually, requestEvent, sleep, startTestEngine, useTestScope } from '../../helpers/engine.js';
import { startReceiver, uniquePrefix } from '../../helpers/index.js';

const ORIGIN = 'https://dead.example';
const FAIL: AttemptReport = { responded: true, success: false, durationMs: 3 };
const OK: AttemptReport = { responded: true, success: true, durationMs: 3 };
const logger = createLogger({ level: 'silent' });

describe('shared endpoint health (two processes on one Redis)', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function replica(prefix: string, openMs: number): Promise<{ gate: DestinationGate; health: SharedHealth; redis: RedisClient }> {
    const redis = createRedis(inject('redisUrl'), 'commands');
    const subscriber = createRedis(inject('redisUrl'), 'subscriber');
    // start() subscribes at once only on a ready connection (else when it gets ready).
    if (subscriber.status !== 'ready') await new Promise((resolve) => subscriber.once('ready', resolve));
    let health: SharedHealth | undefined;
    const gate = createDestinationGate({ failureThreshold: 2, openMs, onTransition: (o, s, r) => health?.onTransition(o, s, r) });
    health = createSharedHealth({ redis, subscriber, keys: createKeys(prefix), gate, logger, resyncMs: 60_000 });
    await health.start();
    cleanups.push(async () => {
      await health.close();
      subscriber.disconnect();
      await redis.quit();
    });
    return { gate, health, redis };
  }
  const fail = (gate: DestinationGate, times: number) => {
    for (let i = 0; i < times; i++) {
      expect(gate.tryAcquire(ORIGIN)).toBe('ok');
      gate.release(ORIGIN, FAIL);
    }
  };

  it('an open circuit reaches the other process within milliseconds, stays in Redis only while open, and expires', async () => {
    const prefix = uniquePrefix('health');
    const a = await replica(prefix, 600);
    const b = await replica(prefix, 600);
    fail(a.gate, 2);
    const openedAt = Date.now();
    expect(a.gate.state(ORIGIN)).toBe('open');
    await eventually(() => b.gate.state(ORIGIN) === 'open', 1_000, 'the other gate to open');
    const latencyMs = Date.now() - openedAt;
    expect(latencyMs).toBeLessThan(500);
    expect(b.gate.tryAcquire(ORIGIN)).toBe('open');
    const key = createKeys(prefix).destinationHealth();
    expect(Number(await a.redis.zscore(key, ORIGIN))).toBeGreaterThan(Date.now());
    const ttl = await a.redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600);
    await sleep(700);
    expect(await a.redis.exists(key)).toBe(0);
    // B lets a probe through again on its own: the remote open time was A's.
    expect(b.gate.tryAcquire(ORIGIN)).toBe('ok');
    b.gate.cancel(ORIGIN);
  });

  it('a successful probe in one process closes the circuit in the other', async () => {
    const prefix = uniquePrefix('health');
    const a = await replica(prefix, 300);
    const b = await replica(prefix, 60_000);
    fail(a.gate, 2);
    await eventually(() => b.gate.state(ORIGIN) === 'open', 1_000, 'the other gate to open');
    await sleep(350);
    expect(a.gate.tryAcquire(ORIGIN)).toBe('ok'); // A's probe
    a.gate.release(ORIGIN, OK);
    expect(a.gate.state(ORIGIN)).toBe('closed');
    await eventually(() => b.gate.state(ORIGIN) === 'closed', 1_000, 'the other gate to close');
    expect(await a.redis.zscore(createKeys(prefix).destinationHealth(), ORIGIN)).toBeNull();
  });

  it('a process started later reads the circuits open now', async () => {
    const prefix = uniquePrefix('health');
    const a = await replica(prefix, 5_000);
    fail(a.gate, 2);
    await eventually(async () => (await a.redis.exists(createKeys(prefix).destinationHealth())) === 1, 1_000, 'the shared entry');
    const late = await replica(prefix, 5_000);
    expect(late.gate.state(ORIGIN)).toBe('open');
    expect(late.gate.openRemainingMs(ORIGIN)).toBeGreaterThan(4_000);
  });
});

describe('shared endpoint health between two engines', () => {
  const { defer } = useTestScope();

  it('after one engine finds a destination dead (5 failures), the other fails attempts there fast with CIRCUIT_OPEN', async () => {
    const down = await startReceiver(() => ({ status: 500 }));
    defer(() => down.close());
    // One registry and one health set (same prefix), separate events queues so each engine gets its own events.
    const prefix = uniquePrefix('two');
    const first = await startTestEngine(inject('redisUrl'), { HOOKPOST_PREFIX: prefix, HOOKPOST_EVENTS_QUEUE: 'events-first' });
    defer(() => first.close());
    const second = await startTestEngine(inject('redisUrl'), { HOOKPOST_PREFIX: prefix, HOOKPOST_EVENTS_QUEUE: 'events-second' });
    defer(() => second.close());
    await first.createWebhook({ url: `${down.url}/down` });

    for (let i = 0; i < 5; i++) await first.publishSettled(requestEvent());
    expect(down.requests).toHaveLength(5);
    const opened = first.logs.find((l) => l.msg === 'destination circuit changed' && l.state === 'open');
    expect(opened).toMatchObject({ reason: 'failures' });
    const learned = await eventually(
      () => second.logs.find((l) => l.msg === 'destination circuit changed' && l.state === 'open'),
      2_000,
      'the second engine to open the circuit',
    );
    expect(learned).toMatchObject({ reason: 'remote', origin: opened?.['origin'] });
    expect(Number(learned['time']) - Number(opened?.['time'])).toBeLessThan(1_000);

    await second.publishSettled(requestEvent({ request_id: 'on-the-second' }));
    expect(down.requests).toHaveLength(5);
    const attempt = second.logs.find((l) => l.msg === 'delivery attempted');
    expect(attempt).toMatchObject({ outcome: 'failed', errorCode: 'CIRCUIT_OPEN', attempt: 1 });
  });
});
