/**
 * Which master serves which slots of a Redis Cluster, from `CLUSTER SHARDS` (Redis 7) or, where that
 * command is missing, `CLUSTER SLOTS`: to say at start where the events queue shards landed.
 */
import type { Cluster } from 'ioredis';
import { keySlot } from './slots.js';

/** A slot range and the master serving it (`host:port` as the cluster announces it). */
export interface SlotOwner {
  readonly first: number;
  readonly last: number;
  readonly master: string;
}

type Reply = unknown;

/** A RESP2 flat map ([k1, v1, k2, v2, …]) as an object. */
function flatMap(reply: Reply): Record<string, Reply> {
  const out: Record<string, Reply> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = reply[i + 1];
  return out;
}

function fromShards(reply: Reply): SlotOwner[] {
  const owners: SlotOwner[] = [];
  for (const shard of Array.isArray(reply) ? reply : []) {
    const fields = flatMap(shard);
    const nodes = (Array.isArray(fields.nodes) ? fields.nodes : []).map(flatMap);
    const master = nodes.find((n) => n.role === 'master' && n.health !== 'fail');
    if (!master) continue;
    const host = String(master.endpoint && master.endpoint !== '?' ? master.endpoint : master.ip);
    const name = `${host}:${String(master.port ?? master['tls-port'])}`;
    const slots = Array.isArray(fields.slots) ? fields.slots.map(Number) : [];
    for (let i = 0; i + 1 < slots.length; i += 2) owners.push({ first: slots[i] as number, last: slots[i + 1] as number, master: name });
  }
  return owners;
}

function fromSlots(reply: Reply): SlotOwner[] {
  return (Array.isArray(reply) ? reply : []).flatMap((entry: Reply) => {
    if (!Array.isArray(entry) || !Array.isArray(entry[2])) return [];
    const [host, port] = entry[2] as Reply[];
    return [{ first: Number(entry[0]), last: Number(entry[1]), master: `${String(host)}:${String(port)}` }];
  });
}

/** The masters of `cluster` and their slot ranges. */
export async function clusterSlotOwners(cluster: Cluster): Promise<SlotOwner[]> {
  try {
    return fromShards(await cluster.call('CLUSTER', 'SHARDS'));
  } catch {
    // Redis before 7.0: CLUSTER SHARDS is unknown.
    return fromSlots(await cluster.call('CLUSTER', 'SLOTS'));
  }
}

/** The master serving `key`'s slot, or undefined when no master serves it. */
export function masterOf(owners: readonly SlotOwner[], key: string): string | undefined {
  const slot = keySlot(key);
  return owners.find((o) => slot >= o.first && slot <= o.last)?.master;
}
