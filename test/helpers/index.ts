export { startReceiver, type Receiver, type RecordedRequest, type Reply, type Responder } from './receiver.js';
export { TEST_AUTH, TEST_TOKEN } from './token.js';
export { freePort, startRedisServer, uniquePrefix, type RedisServer } from './redis.js';
