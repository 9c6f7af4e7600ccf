import { describe, expect, it } from 'vitest';
import { shardPrefixes } from '../../../src/events/shards.js';
import { hashTagOf } from '../../../src/redis/index.js';
import { createKeys } from '../../../src/redis/index.js';

// Redis Cluster runs a Lua script only when all its keys share a slot: every key hookpost builds
// must hash by the prefix's tag, whatever the names in it.
describe('hash tags of every key (Redis Cluster)', () => {
  const nasty = '{evil}:x}{';
  const keys = createKeys('{hookpost}');

  it('every key builder keeps the prefix tag first, even with braces in names', () => {
    const built = [
      keys.webhook(nasty, nasty),
      keys.webhookNames(nasty),
      keys.matchIndex(nasty, 'deployment', nasty, 'deployment_request_completed'),
      keys.projectMatchIndex(nasty, 'deployment_request_completed'),
      keys.registryVersion(),
      keys.registryChannel(),
      keys.legacyTimestamp(),
      keys.webhookTest(nasty, nasty),
      keys.eventProgress(nasty),
      keys.deadLetters(nasty),
      keys.deadLetter(nasty, nasty),
      keys.attemptDeliveries(nasty),
      keys.attemptDelivery(nasty, nasty),
      keys.attemptWebhookIndex(nasty, nasty),
      keys.attemptWebhookHealth(nasty, nasty),
      keys.destinationHealth(),
      keys.destinationHealthChannel(),
    ];
    // Every Keys member except `prefix` is covered above.
    expect(built).toHaveLength(Object.keys(keys).length - 1);
    for (const key of built) expect(hashTagOf(key), key).toBe('hookpost');
  });

  it('BullMQ queue keys (<prefix>:<queue>:...) hash by the shard prefix tag', () => {
    expect(shardPrefixes('{hookpost}', 3).map((p) => hashTagOf(`${p}:events:wait`))).toEqual(['hookpost-2', 'hookpost-3', 'hookpost-0']);
    expect(hashTagOf('{hookpost}:deliveries:wait')).toBe('hookpost');
  });
});
