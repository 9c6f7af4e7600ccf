/**
 * Process runner for the three roles (docs/deploy.md): `api`, `worker`, and `local` (all-in-one quickstart).
 * Parses config, loads the signing key, connects, starts the role's components and installs the
 * shutdown handler. Startup problems end the process with one clear line on stderr.
 */
import type { KeyObject } from 'node:crypto';
import { relative, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Config, LOCAL_DEV_TOKEN, loadConfig } from '../../config/index.js';
import { buildApp, findUiDir } from '../api/index.js';
import { HookpostError } from '../errors.js';
import { shardPrefix } from '../events/shards.js';
import { type Logger, createLogger } from '../observability/logger.js';
import { maskRedisUrl } from '../observability/redis-connection.js';
import { parseRedisUrl } from '../redis/index.js';
import { enqueueWebhookTest, redeliver, redriveDeadLetter, redriveDeadLetters } from '../queue/index.js';
import {
  type SecretsCipher,
  createSecretsCipher,
  loadEncryptionKeys,
  LOCAL_ENCRYPTION_KEY_FILE_NAME,
  loadOrCreateLocalEncryptionKeys,
} from '../registry/index.js';
import { loadOrCreateLocalKey, loadSigningKeys } from '../signing/index.js';
import { REDIS_INSTALL_HINT, chooseLocalRedis, embeddedRedisDir, hasEmbeddedRedis, startEmbeddedRedis } from './embedded-redis.js';
import { createEngine } from './engine.js';
import { buildHealthApp } from './health-app.js';
import { keyFileExposure } from './key-file-permissions.js';
import { probeRedis } from './redis-probe.js';
import { type Services, createServices } from './services.js';
import { type Closable, closeAll, handleShutdown } from './shutdown.js';

export type Role = 'api' | 'worker' | 'local';

/** Ends the process with a one-line explanation (no stack: these are configuration problems). */
function die(message: string, code = 1): never {
  process.stderr.write(`hookpost: ${message}\n`);
  process.exit(code);
}

/** The signing keys, the one that signs first; local mode without a configured file has one, generated. */
function loadKeys(config: Config, logger: Logger): KeyObject[] {
  if (config.signingKeyFiles.length > 0) {
    const keys = loadSigningKeys(config.signingKeyFiles);
    for (const path of config.signingKeyFiles) warnIfExposed(path, 'signing', logger);
    return keys;
  }
  const local = loadOrCreateLocalKey(config.dataDir);
  logger.info({ path: local.path, created: local.created }, local.created ? 'generated a local signing key' : 'using the local signing key');
  warnIfExposed(local.path, 'signing', logger);
  return [local.key];
}

function warnIfExposed(path: string, kind: 'signing' | 'encryption', logger: Logger): void {
  const exposure = keyFileExposure(path);
  if (exposure === null) return;
  logger.warn(
    { file: path, mode: exposure.mode, readableBy: exposure.readableBy, fix: `chmod 600 ${path}` },
    `${kind} key file is readable by other users: chmod 600 it`,
  );
}

/** The secrets-at-rest cipher: the configured key file, or in local mode a generated key in HOOKPOST_DATA_DIR. */
function loadCipher(config: Config, logger: Logger): SecretsCipher {
  if (config.encryptionKeyFile) {
    const keys = loadEncryptionKeys(config.encryptionKeyFile);
    warnIfExposed(config.encryptionKeyFile, 'encryption', logger);
    logger.info({ currentKeyId: keys[0]?.id, keys: keys.length }, 'encryption keys loaded');
    return createSecretsCipher(keys);
  }
  const local = loadOrCreateLocalEncryptionKeys(config.dataDir);
  logger.info(
    { path: local.path, created: local.created },
    local.created ? 'generated a local encryption key' : 'using the local encryption key',
  );
  return createSecretsCipher(local.keys);
}

/** The API as the api and local processes serve it: every route module, on the process's services. */
export function buildProcessApp(services: Services): FastifyInstance {
  const { config, logger } = services;
  return buildApp({
    apiTokens: config.apiTokens,
    allowHttp: config.allowHttp,
    registry: services.registry,
    webhookTests: services.webhookTests,
    enqueueWebhookTest: (project, testId) => enqueueWebhookTest(services, project, testId),
    publicKey: services.publicKey,
    publicKeys: services.publicKeys,
    checkReady: services.checkReady,
    metricsRegistry: services.metricsRegistry,
    logger,
    deliveryLog: {
      attempts: services.attempts,
      deadLetters: services.deadLetters,
      redeliver: (project, deliveryId) => redeliver(services, project, deliveryId),
      redriveDeadLetter: (project, deliveryId) => redriveDeadLetter(services, project, deliveryId),
      redriveDeadLetters: (project, filter) => redriveDeadLetters(services, project, filter),
    },
    uiDir: findUiDir(),
  });
}

/** Where local mode's Redis comes from, for the banner: `why` says which rule of the order chose it. */
type LocalRedis = { readonly embedded: false; readonly why: string } | { readonly embedded: true; readonly dir: string; readonly why: string };

/**
 * Local mode's Redis: the configured one (checked now, so a wrong URL or password is one clear line),
 * or its own embedded one (see embedded-redis.ts), pushed onto `components` so it stops last.
 */
async function prepareLocalRedis(config: Config, components: Closable[]): Promise<{ config: Config; redis: LocalRedis }> {
  const hadEmbedded = hasEmbeddedRedis(config.dataDir);
  const choice = await chooseLocalRedis({
    redisUrlSet: config.redisUrlSet,
    embeddedDataExists: hadEmbedded,
    defaultUnreachable: async () => (await probeRedis(config.redisUrl))?.kind === 'unreachable',
  });
  const redisDir = embeddedRedisDir(config.dataDir);
  const inCwd = relative(process.cwd(), redisDir);
  const dataRedis = inCwd !== '' && !inCwd.startsWith('..') ? inCwd : redisDir;
  if (choice === 'configured') {
    const why = config.redisUrlSet
      ? 'from HOOKPOST_REDIS_URL'
      : `answering on ${maskRedisUrl(config.redisUrl).replace(/^redis:\/\//, '')} (HOOKPOST_REDIS_URL unset, no embedded data in ${dataRedis})`;
    const problem = await probeRedis(config.redisUrl);
    if (problem?.kind === 'unreachable') {
      die(
        `${problem.message}. Start one with \`redis-server --daemonize yes\` or ${REDIS_INSTALL_HINT}, ` +
          'point HOOKPOST_REDIS_URL at yours, or leave it unset to let local mode run its own.',
      );
    }
    if (problem) die(problem.message);
    return { config, redis: { embedded: false, why } };
  }
  try {
    const embedded = await startEmbeddedRedis({ dataDir: config.dataDir });
    components.push({ name: 'redis', close: () => embedded.close(), abandon: () => embedded.abandon() });
    const why = hadEmbedded
      ? `embedded, data in ${dataRedis} (found there, so used before 127.0.0.1:6379; stopped with hookpost)`
      : `embedded, data in ${dataRedis} (HOOKPOST_REDIS_URL unset, nothing answers on 127.0.0.1:6379; stopped with hookpost)`;
    return {
      config: Object.freeze({ ...config, redisUrl: embedded.url, redis: parseRedisUrl(embedded.url) }),
      redis: { embedded: true, dir: embedded.dir, why },
    };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    die(
      hadEmbedded
        ? `${why}; or set HOOKPOST_REDIS_URL to use another Redis.`
        : `nothing answers at ${maskRedisUrl(config.redisUrl)} and ${why}; or set HOOKPOST_REDIS_URL to yours.`,
    );
  }
}

/** Listens, or ends the process with one line naming the variable to change when the port is taken. */
async function listen(app: FastifyInstance, host: string, port: number, variable: string, started: readonly Closable[], logger: Logger) {
  try {
    await app.listen({ host, port });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    await app.close().catch(() => undefined);
    await closeAll(started, 10_000, logger);
    if (code === 'EADDRINUSE') die(`port ${port} on ${host} is already in use: set ${variable} to a free port`);
    if (code === 'EACCES') die(`no permission to listen on port ${port} on ${host}: set ${variable} to a port above 1023`);
    if (code === 'EADDRNOTAVAIL') die(`${host} is not an address of this machine: fix HOOKPOST_API_HOST`);
    throw err;
  }
}

export async function runProcess(role: Role, env: Record<string, string | undefined>): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(env, { role });
  } catch (err) {
    die(err instanceof Error ? err.message : String(err), 2);
  }
  // A person at a terminal in local mode reads lines; everything else (pipes, containers) gets JSON.
  const pretty = config.localMode && process.stdout.isTTY === true;
  const logger = createLogger({ level: config.logLevel, name: `hookpost-${role}`, format: pretty ? 'pretty' : 'json', colors: pretty });
  const components: Closable[] = [];
  let localRedis: LocalRedis = { embedded: false, why: 'from HOOKPOST_REDIS_URL' };
  if (role === 'local') {
    ({ config, redis: localRedis } = await prepareLocalRedis(config, components));
    logger.info({ redis: maskRedisUrl(config.redisUrl), why: localRedis.why }, 'using Redis');
  }

  let keys: KeyObject[];
  let cipher: SecretsCipher;
  try {
    keys = loadKeys(config, logger);
    cipher = loadCipher(config, logger);
  } catch (err) {
    await closeAll(components, 10_000, logger);
    die(err instanceof HookpostError ? `${err.message} (${err.code})` : String(err));
  }
  const services = createServices(config, logger, keys, cipher);
  components.push({ name: 'services', close: () => services.close() });

  // Serve /readyz before the engine waits for Redis, so a Redis that cannot be used shows there.
  if (role === 'api' || role === 'local') {
    const app = buildProcessApp(services);
    await listen(app, config.apiHost, config.apiPort, 'HOOKPOST_API_PORT', components, logger);
    components.push({ name: 'api', close: () => app.close() });
  } else {
    const health = buildHealthApp(services);
    await listen(health, config.apiHost, config.metricsPort, 'HOOKPOST_METRICS_PORT', components, logger);
    components.push({ name: 'health', close: () => health.close() });
  }

  const engine = role === 'api' ? undefined : createEngine(services);
  // Closed first (reverse order): stop taking jobs and drain while the HTTP server still answers.
  if (engine) components.push({ name: 'engine', close: () => engine.close() });
  handleShutdown(components, { timeoutMs: config.shutdownTimeoutMs, logger });
  await engine?.start();

  if (role === 'local') process.stdout.write(localBanner(config, localRedis));
}

/** The events queues this process consumes, as the banner names them. */
function consumedQueuesLine(config: Config): string {
  const queues = config.shardsConsumed.map((shard) => `${shardPrefix(config.prefix, shard, config.shards)}:${config.eventsQueue}`);
  if (config.shards <= 1) return `events queue ${queues[0]}`;
  const which = config.shardsConsumed.length === config.shards ? `all ${config.shards} shards` : `shards ${config.shardsConsumed.join(', ')} of ${config.shards}`;
  return `events queues ${queues.join(', ')} (${which})`;
}

/** What local mode prints once it runs: where everything is, and what it allows. */
function localBanner(config: Config, redis: LocalRedis): string {
  const shownHost = config.apiHost === '0.0.0.0' || config.apiHost === '::' ? '127.0.0.1' : config.apiHost;
  const base = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${config.apiPort}`;
  const token = config.apiTokens[0]?.reveal() === LOCAL_DEV_TOKEN ? LOCAL_DEV_TOKEN : '<your HOOKPOST_API_TOKENS>';
  const loopbackOnly = ['127.0.0.1', 'localhost', '::1'].includes(config.apiHost);
  const listening = loopbackOnly
    ? `${config.apiHost} only (this machine; set HOOKPOST_API_HOST to listen elsewhere)`
    : `${config.apiHost} (${config.apiHost === '0.0.0.0' || config.apiHost === '::' ? 'every interface: reachable from the network' : 'reachable from the network'})`;
  const allowed = [
    config.allowHttp ? 'http:// targets allowed' : 'https:// targets only',
    config.allowPrivateTargets ? 'private and loopback targets ALLOWED' : 'private and loopback targets refused',
  ].join(', ');
  const redisLine = `${maskRedisUrl(config.redisUrl)}   ${redis.why}`;
  return [
    '',
    'hookpost is running (local mode).',
    `  listening    ${listening}`,
    `  targets      ${allowed}`,
    `  API          ${base}/v2.1   (Authorization: Token ${token})`,
    `  monitoring   ${base}/ui   (type the token into the page)`,
    `  public key   ${base}/v2.1/signing-key`,
    `  metrics      ${base}/metrics   health ${base}/healthz, ${base}/readyz`,
    `  signing key  ${config.signingKeyFile ?? resolve(config.dataDir, 'signing-key.pem')}`,
    `  secrets key  ${config.encryptionKeyFile ?? resolve(config.dataDir, LOCAL_ENCRYPTION_KEY_FILE_NAME)}   (encrypts protected header values and secrets in Redis)`,
    `  Redis        ${redisLine}`,
    `               prefix ${config.prefix}, ${consumedQueuesLine(config)}`,
    '',
    '',
  ].join('\n');
}
