/**
 * The end-to-end runs every topology goes through: signed deliveries on every shard, and a master
 * killed while events are being published, after which every acknowledged event must have been
 * delivered at least once (duplicates carry the same delivery id).
 */
import { expect } from 'vitest';
import { DELIVERY_ID_HEADER } from '../../../src/delivery/index.js';
import { type TestEngine, bodyOf, eventually, requestEvent, sleep, startTestEngine, verifyRecorded } from '../../helpers/engine.js';
import { type Receiver, startReceiver } from '../../helpers/index.js';
import { uniquePrefix } from '../../helpers/redis.js';

/** Objects of project `demo` whose shards (src/events/shards.ts) cover 0-2 of 3 and 0-1 of 2. */
export const OBJECTS = ['model-0', 'model-1', 'model-2', 'model-5', 'model-9', 'model-11'];

export interface Scenario {
  readonly t: TestEngine;
  readonly receiver: Receiver;
  close(): Promise<void>;
}

/** An engine on `url` with a hash-tagged prefix and `shards` shards, and one webhook per object of {@link OBJECTS}. */
export async function startScenario(url: string, shards: number, env: Record<string, string> = {}): Promise<Scenario> {
  const receiver = await startReceiver();
  const t = await startTestEngine(url, { HOOKPOST_PREFIX: `{${uniquePrefix('topo')}}`, HOOKPOST_SHARDS: String(shards), ...env });
  for (const name of OBJECTS) await t.createWebhook({ url: `${receiver.url}/${name}`, object_name: name });
  return {
    t,
    receiver,
    async close() {
      await t.close();
      await receiver.close();
    },
  };
}

/** Request ids received so far, with the delivery ids each came with. */
export function receivedIds(receiver: Receiver): Map<string, Set<string>> {
  const byRequest = new Map<string, Set<string>>();
  for (const r of receiver.requests) {
    const id = String(bodyOf(r)['request_id']);
    const deliveryIds = byRequest.get(id) ?? new Set<string>();
    deliveryIds.add(String(r.headers[DELIVERY_ID_HEADER]));
    byRequest.set(id, deliveryIds);
  }
  return byRequest;
}

/** Publishes `count` events spread over the objects, waits for all deliveries, checks signatures. */
export async function deliverSigned(s: Scenario, count: number): Promise<void> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const event = requestEvent({ object_name: OBJECTS[i % OBJECTS.length], request_id: `sig-${i}-${uniquePrefix('r')}` });
    await s.t.producer.publish(event);
    ids.push(String(event['request_id']));
  }
  await eventually(() => ids.every((id) => receivedIds(s.receiver).has(id)), 60_000, `${count} deliveries`);
  for (const r of s.receiver.requests) expect(await verifyRecorded(r, s.t.publicKeyPem)).toMatchObject({ ok: true });
  expect(s.receiver.requests).toHaveLength(count);
}

export interface FailoverRun {
  /** Events whose publish was acknowledged. */
  readonly acknowledged: readonly string[];
  /** Of those, the ones never delivered. */
  readonly lost: readonly string[];
  /** Events delivered more than once. */
  readonly duplicated: number;
  /** Longest wait for one publish after the kill, in milliseconds (what producers saw of the failover). */
  readonly longestPublishMs: number;
}

/**
 * Publishes `total` events at about `ratePerS`, runs `kill` once `killAfter` have been acknowledged,
 * keeps publishing (a publish that fails is retried, as a producer must: the job id makes that
 * idempotent), then waits up to `settleMs` for every acknowledged event to be delivered.
 */
export async function runFailover(
  s: Scenario,
  options: { total: number; ratePerS: number; killAfter: number; kill: () => Promise<void>; settleMs: number },
): Promise<FailoverRun> {
  const acknowledged: string[] = [];
  let killedAt = 0;
  let longestPublishMs = 0;
  for (let i = 0; i < options.total; i++) {
    const event = requestEvent({ object_name: OBJECTS[i % OBJECTS.length], request_id: `fo-${i}` });
    const startedAt = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        await s.t.producer.publish(event);
        break;
      } catch (err) {
        if (attempt >= 100) throw err;
        await sleep(200);
      }
    }
    if (killedAt > 0) longestPublishMs = Math.max(longestPublishMs, Date.now() - startedAt);
    acknowledged.push(String(event['request_id']));
    if (i + 1 === options.killAfter) {
      await options.kill();
      killedAt = Date.now();
    }
    await sleep(1_000 / options.ratePerS);
  }
  const everyone = () => {
    const got = receivedIds(s.receiver);
    return acknowledged.every((id) => got.has(id));
  };
  await eventually(everyone, options.settleMs, 'every acknowledged event delivered').catch(() => undefined);
  const got = receivedIds(s.receiver);
  for (const deliveryIds of got.values()) expect(deliveryIds.size).toBe(1);
  return {
    acknowledged,
    lost: acknowledged.filter((id) => !got.has(id)),
    duplicated: s.receiver.requests.length - got.size,
    longestPublishMs,
  };
}
