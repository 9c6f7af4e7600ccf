/**
 * Re-encrypts every stored secret (protected header values, webhook secrets, pending webhook tests'
 * header values) under the current encryption key, the first of HOOKPOST_ENCRYPTION_KEY_FILE.
 * Plaintext values of earlier versions are encrypted too. Idempotent and safe beside running
 * processes; run it with the worker's environment, e.g.
 *   kubectl exec deploy/hookpost-worker -- node dist/scripts/reencrypt.js
 *   npm run reencrypt            # locally, after npm run build
 * Prints the counts as one JSON line; exits 1 when a value could not be decrypted (its key is
 * missing from the file), 2 on a configuration problem.
 */
import { Cluster } from 'ioredis';
import { loadConfig } from '../config/index.js';
import { createKeys } from '../src/redis/index.js';
import {
  NO_COUNTS,
  addCounts,
  createSecretsCipher,
  loadEncryptionKeys,
  loadOrCreateLocalEncryptionKeys,
  reencryptWebhookTests,
  reencryptWebhooks,
} from '../src/registry/index.js';
import { createRedis } from '../src/redis/index.js';

let config: ReturnType<typeof loadConfig>;
let cipher: ReturnType<typeof createSecretsCipher>;
try {
  // The worker's variables: Redis, prefix, keys. Without HOOKPOST_ENCRYPTION_KEY_FILE, local mode's key.
  config = loadConfig(process.env, { role: process.env.HOOKPOST_ENCRYPTION_KEY_FILE ? 'worker' : 'local' });
  cipher = createSecretsCipher(
    config.encryptionKeyFile ? loadEncryptionKeys(config.encryptionKeyFile) : loadOrCreateLocalEncryptionKeys(config.dataDir).keys,
  );
} catch (err) {
  process.stderr.write(`hookpost reencrypt: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
const redis = createRedis(config.redis, 'commands');
const report = (err: unknown, key: string) =>
  process.stderr.write(`hookpost reencrypt: ${key}: ${err instanceof Error ? err.message : String(err)}\n`);
try {
  // SCAN is per node: on a cluster, every master is scanned (the registry's keys share one slot, so
  // one of them holds them all; the others find nothing).
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  let webhooks = NO_COUNTS;
  let webhookTests = NO_COUNTS;
  for (const node of nodes) {
    const options = { redis: node, keys: createKeys(config.prefix), cipher };
    webhooks = addCounts(webhooks, await reencryptWebhooks(options, report));
    webhookTests = addCounts(webhookTests, await reencryptWebhookTests(options, report));
  }
  process.stdout.write(`${JSON.stringify({ currentKeyId: cipher.currentKeyId, webhooks, webhookTests })}\n`);
  process.exitCode = webhooks.unreadable + webhookTests.unreadable > 0 ? 1 : 0;
} finally {
  await redis.quit();
}
