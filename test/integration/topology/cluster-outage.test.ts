/**
 * A Redis Cluster that loses one slot range entirely and gets it back, with hookpost running as real
 * processes (one API, two workers, HOOKPOST_SHARDS=3): a master is killed and its replica takes
 * over; the promoted master, now without replica, is killed too, so no node serves that range
 * (`cluster_state:fail` everywhere) for 15 s; then it is restarted (`cluster_state:ok`). Without any
 * process restart, every event published after the recovery must reach its webhook within 15 s and
 * every process must answer `/readyz` 200 within 10 s of `cluster_state:ok`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer, type Producer } from '../../../src/events/index.js';
import { shardOf } from '../../../src/events/shards.js';
import { createKeys } from '../../../src/redis/index.js';
import { requestEvent, sleep } from '../../helpers/engine.js';
import { freePort, startReceiver, uniquePrefix, type Receiver } from '../../helpers/index.js';
import { type ChildWorker, spawnWorker, workerEnv, writeEncryptionKey, writeSigningKey } from '../../helpers/processes.js';
import { type TestCluster, startCluster } from '../../helpers/topology.js';
import { findTool } from '../../helpers/tools.js';
import { receivedIds } from './scenarios.js';

const tool = findTool('redis-cli', ['--version'], 'redis-tools');
const TOKEN = 'test-token-0123456789';
const SHARDS = 3;
/** How long the slot range stays without any node. */
const OUTAGE_MS = 15_000;

interface HookpostProcess {
  readonly name: string;
  readonly child: ChildWorker;
  /** Where its /readyz answers. */
  readonly base: string;
}

/** Polls `check` every 200 ms until it is true or `deadline` (epoch ms) passes; returns whether it held. */
async function holdsBy(check: () => Promise<boolean> | boolean, deadline: number): Promise<boolean> {
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) return false;
    await sleep(200);
  }
}

/** The last log lines of each process, for a failure message. */
const logTail = (processes: readonly HookpostProcess[], lines = 12) =>
  processes
    .map((p) => `${p.name}: ${p.child.logs.slice(-lines).map((l) => `${l.msg}${l.reason ? ` (${String(l.reason)})` : ''}${l.err ? ` (${String(l.err)})` : ''}`).join(' | ')}`)
    .join('\n');

const readyz = async (base: string): Promise<number> => {
  try {
    return (await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5_000) })).status;
  } catch {
    return 0;
  }
};

describe.skipIf(tool.skip)('Redis Cluster outage of one slot range', { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let receiver: Receiver;
  let producer: Producer;
  const processes: HookpostProcess[] = [];
  const prefix = `{${uniquePrefix('outage')}}`;
  // Objects of project `demo` covering every shard, two per shard.
  const objects: string[] = [];
  for (let i = 0; objects.length < 2 * SHARDS; i++) {
    const name = `model-${i}`;
    const shard = shardOf({ project: 'demo', object_type: 'deployment', object_name: name }, SHARDS);
    if (objects.filter((o) => shardOf({ project: 'demo', object_type: 'deployment', object_name: o }, SHARDS) === shard).length < 2) {
      objects.push(name);
    }
  }

  beforeAll(async () => {
    tool.require();
    cluster = await startCluster({ masters: 3, replicas: 1, nodeTimeoutMs: 2_000, persistence: true });
    receiver = await startReceiver();
    const key = writeSigningKey();
    const shared = { HOOKPOST_SHARDS: String(SHARDS), HOOKPOST_ENCRYPTION_KEY_FILE: writeEncryptionKey(), HOOKPOST_LOG_LEVEL: 'info' };
    const apiPort = await freePort();
    const apiEnv = await workerEnv(cluster.url, prefix, key.path, { ...shared, HOOKPOST_API_PORT: String(apiPort) });
    processes.push({ name: 'api', child: spawnWorker('api', apiEnv), base: `http://127.0.0.1:${apiPort}` });
    for (const name of ['worker-1', 'worker-2']) {
      const env = await workerEnv(cluster.url, prefix, key.path, shared);
      processes.push({ name, child: spawnWorker('worker', env), base: `http://127.0.0.1:${env.HOOKPOST_METRICS_PORT}` });
    }
    for (const p of processes) {
      const ready = await holdsBy(async () => (await readyz(p.base)) === 200, Date.now() + 60_000);
      if (!ready) throw new Error(`${p.name} never became ready: ${p.child.stderr().slice(-2_000)}`);
    }
    for (const name of objects) {
      const created = await fetch(`${processes[0]?.base}/v2.1/projects/demo/webhooks`, {
        method: 'POST',
        headers: { authorization: `Token ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name,
          url: `${receiver.url}/${name}`,
          object_type: 'deployment',
          object_name: name,
          version: 'v1',
          event: 'deployment_request_completed',
        }),
      });
      expect(created.status).toBe(201);
    }
    producer = createProducer({ redis: cluster.url, prefix, shards: SHARDS });
  }, 120_000);

  afterAll(async () => {
    await producer?.close().catch(() => undefined);
    for (const p of processes) if (p.child.proc.exitCode === null) p.child.proc.kill('SIGKILL');
    await receiver?.close();
    await cluster?.stop();
  });

  /** Publishes one event per object per round; a push refused while Redis settles is retried, as a producer must. */
  async function publish(label: string, rounds: number): Promise<string[]> {
    const ids: string[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const name of objects) {
        const event = requestEvent({ object_name: name, request_id: `${label}-${round}-${name}` });
        for (let attempt = 0; ; attempt++) {
          try {
            await producer.publish(event);
            break;
          } catch (err) {
            if (attempt >= 50) throw err;
            await sleep(200);
          }
        }
        ids.push(String(event.request_id));
      }
    }
    return ids;
  }

  it('delivers every event published after the range is back within 15 s, and every process is ready within 10 s, without a restart', async () => {
    const pids = processes.map((p) => p.child.proc.pid);
    // Work flows before the outage.
    const before = await publish('before', 1);
    expect(await holdsBy(() => before.every((id) => receivedIds(receiver).has(id)), Date.now() + 30_000)).toBe(true);

    // Take down the slot range of the registry (the API's and every worker's reads) and of one
    // events shard: its master, then the replica that took over.
    const keys = createKeys(prefix);
    const registryKey = keys.registryVersion();
    await cluster.waitForReplication();
    const first = await cluster.masterOf(registryKey);
    await first.kill();
    const promoted = await cluster.waitForFailover(registryKey);
    expect(promoted.port).not.toBe(first.port);
    const duringFailover = await publish('failover', 1);
    expect(await holdsBy(() => duringFailover.every((id) => receivedIds(receiver).has(id)), Date.now() + 30_000), logTail(processes)).toBe(true);

    await promoted.kill();
    const downAt = Date.now();
    await cluster.waitForState('fail');
    // While the range is down every process says so (a PING would still be answered).
    const notReady = await Promise.all(processes.map((p) => holdsBy(async () => (await readyz(p.base)) === 503, downAt + OUTAGE_MS - 1_000)));
    expect(notReady, 'every /readyz 503 during the outage').toEqual([true, true, true]);
    await sleep(Math.max(0, downAt + OUTAGE_MS - Date.now()));
    await promoted.restart();
    await cluster.waitForState('ok', 60_000);
    const okAt = Date.now();

    // /readyz of every process, polled from cluster_state:ok on.
    const readiness = Promise.all(processes.map((p) => holdsBy(async () => (await readyz(p.base)) === 200, okAt + 10_000)));
    const after = await publish('after', 5);
    const publishedAt = Date.now();
    const delivered = await holdsBy(() => after.every((id) => receivedIds(receiver).has(id)), publishedAt + 15_000);
    const got = receivedIds(receiver);
    const missing = after.filter((id) => !got.has(id));
    const ready = await readiness;
    const lastLines = logTail(processes);
    expect(missing, `${missing.length} of ${after.length} events not delivered within 15 s\n${lastLines}`).toEqual([]);
    expect(delivered).toBe(true);
    expect(
      Object.fromEntries(processes.map((p, i) => [p.name, ready[i]])),
      `/readyz within 10 s of cluster_state:ok\n${lastLines}`,
    ).toEqual({ api: true, 'worker-1': true, 'worker-2': true });
    // The same processes, never restarted.
    expect(processes.map((p) => p.child.proc.exitCode)).toEqual([null, null, null]);
    expect(processes.map((p) => p.child.proc.pid)).toEqual(pids);
  });
});
