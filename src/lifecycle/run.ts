/**
 * Process runner for the three roles (SPEC §9): `api`, `worker`, and `local` (all-in-one quickstart).
 * Parses config, loads the signing key, connects, starts the role's components and installs the
 * shutdown handler. Startup problems end the process with one clear line on stderr.
 */
import type { KeyObject } from 'node:crypto';
import { resolve } from 'node:path';
import { type Config, LOCAL_DEV_TOKEN, loadConfig } from '../../config/index.js';
import { buildApp } from '../api/index.js';
import { deadLetterRoutes } from '../api/routes/dead-letters.js';
import { HookpostError } from '../errors.js';
import { type Logger, createLogger } from '../observability/logger.js';
import { enqueueWebhookTest, redriveDeadLetter } from '../queue/enqueue.js';
import { loadOrCreateLocalKey, loadSigningKey } from '../signing/index.js';
import { buildHealthApp } from './health-app.js';
import { redisAnswers } from './redis-probe.js';
import { createEngine } from '../queue/engine.js';
import { createServices } from './services.js';
import { type Closable, handleShutdown } from './shutdown.js';

export type Role = 'api' | 'worker' | 'local';

/** Ends the process with a one-line explanation (no stack: these are configuration problems). */
function die(message: string, code = 1): never {
  process.stderr.write(`hookpost: ${message}\n`);
  process.exit(code);
}

function loadKey(config: Config, logger: Logger): KeyObject {
  if (config.signingKeyFile) return loadSigningKey(config.signingKeyFile);
  const local = loadOrCreateLocalKey(config.dataDir);
  logger.info({ path: local.path, created: local.created }, local.created ? 'generated a local signing key' : 'using the local signing key');
  return local.key;
}

export async function runProcess(role: Role, env: Record<string, string | undefined>): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(env, { role });
  } catch (err) {
    die(err instanceof Error ? err.message : String(err), 2);
  }
  const logger = createLogger({ level: config.logLevel, name: `hookpost-${role}` });
  if (role === 'local') {
    if (!(await redisAnswers(config.redisUrl))) {
      die(
        `cannot reach Redis at ${config.redisUrl}. Start one with \`redis-server --daemonize yes\` ` +
          '(or `docker run -d -p 6379:6379 redis:7`), or point HOOKPOST_REDIS_URL at yours.',
      );
    }
  }

  let key: KeyObject;
  try {
    key = loadKey(config, logger);
  } catch (err) {
    die(err instanceof HookpostError ? `${err.message} (${err.code})` : String(err));
  }
  const services = createServices(config, logger, key);
  const components: Closable[] = [{ name: 'services', close: () => services.close() }];

  if (role === 'worker' || role === 'local') {
    const engine = createEngine(services);
    await engine.start();
    components.push({ name: 'engine', close: () => engine.close() });
  }
  if (role === 'api' || role === 'local') {
    const app = buildApp(
      {
        apiTokens: config.apiTokens,
        allowHttp: config.allowHttp,
        registry: services.registry,
        webhookTests: services.webhookTests,
        enqueueWebhookTest: (project, testId) => enqueueWebhookTest(services, project, testId),
        publicKey: services.publicKey,
        checkReady: services.checkReady,
        metricsRegistry: services.metricsRegistry,
        logger,
      },
      {
        routes: [
          deadLetterRoutes({
            deadLetters: services.deadLetters,
            redrive: (project, deliveryId) => redriveDeadLetter(services, project, deliveryId),
          }),
        ],
      },
    );
    await app.listen({ host: config.apiHost, port: config.apiPort });
    components.push({ name: 'api', close: () => app.close() });
  } else {
    const health = buildHealthApp(services);
    await health.listen({ host: config.apiHost, port: config.metricsPort });
    components.push({ name: 'health', close: () => health.close() });
  }

  handleShutdown(components, { timeoutMs: config.shutdownTimeoutMs, logger });

  if (role === 'local') {
    const base = `http://127.0.0.1:${config.apiPort}`;
    const token = config.apiTokens[0] === LOCAL_DEV_TOKEN ? LOCAL_DEV_TOKEN : '<your HOOKPOST_API_TOKENS>';
    process.stdout.write(
      [
        '',
        'hookpost is running (local mode: http and private targets allowed).',
        `  API          ${base}/v2.1   (Authorization: Token ${token})`,
        `  public key   ${base}/v2.1/signing-key`,
        `  metrics      ${base}/metrics   health ${base}/healthz, ${base}/readyz`,
        `  signing key  ${config.signingKeyFile ?? resolve(config.dataDir, 'signing-key.pem')}`,
        `  Redis        ${config.redisUrl}   prefix ${config.prefix}, events queue ${config.prefix}:${config.eventsQueue}`,
        '',
      ].join('\n'),
    );
  }
}
