export { startReceiver, type Receiver, type RecordedRequest, type Reply, type Responder } from './receiver.js';
export { freePort, startRedisServer, uniquePrefix, type RedisServer } from './redis.js';
