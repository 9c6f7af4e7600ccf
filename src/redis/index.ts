export {
  assertClusterPrefix,
  clusterPrefixProblem,
  createRedis,
  isCluster,
  type CreateRedisOptions,
  type RedisClient,
  type RedisPurpose,
} from './connect.js';
export { hashTagOf, maskRedisUrl, parseRedisUrl, RedisUrlError, type RedisNode, type RedisTarget, type RedisTopology } from './url.js';
export { createKeys, type Keys } from './keys.js';
export { CLUSTER_SLOTS, crc16, keySlot, slotRange } from './slots.js';
export { clusterSlotOwners, masterOf, type SlotOwner } from './cluster-map.js';
