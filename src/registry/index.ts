/** The webhook registry: what other folders may use. */
export * from './model.js';
export { parseRegistryNotice, type RegistryNotice, type RegistryObject } from './notice.js';
export { SECRET_LIMITS, assertValidSecret, nextSecrets, secretsEqual } from './secrets.js';
export {
  createSecretsCipher,
  ENCRYPTION_KEY_BYTES,
  encryptionKeyId,
  isEncrypted,
  LOCAL_ENCRYPTION_KEY_FILE_NAME,
  loadEncryptionKeys,
  loadOrCreateLocalEncryptionKeys,
  parseEncryptionKeys,
  type EncryptionKey,
  type SecretsCipher,
} from './secrets-cipher.js';
export {
  createRegistry,
  reencryptWebhooks,
  WEBHOOK_DEFAULTS,
  type Registry,
  type UnreadableWebhook,
  type RegistryOptions,
  type WebhookCreate,
  type WebhookFilters,
  type WebhookHeaderInput,
  type WebhookHeaderPatch,
  type WebhookPatch,
} from './store.js';
export {
  createWebhookTestStore,
  reencryptWebhookTests,
  TEST_OBJECT_NAMES,
  WEBHOOK_TEST_STATUSES,
  WEBHOOK_TEST_TTL_SECONDS,
  type WebhookTestConfig,
  type WebhookTestCreate,
  type WebhookEventTest,
  type WebhookTestDetail,
  type WebhookTestStatus,
  type WebhookTestStore,
  type WebhookTestStoreOptions,
} from './webhook-tests.js';
export { NO_COUNTS, type ReencryptCounts, addCounts } from './reencrypt-scan.js';
