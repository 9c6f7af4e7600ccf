/**
 * `npm run demo`: the whole loop in one command. Starts the all-in-one hookpost (local mode, its own
 * key prefix and port), a receiver that verifies every delivery with `hookpost/verify`, registers a
 * webhook through the API, publishes a few events, and prints each verified delivery.
 *
 * Redis, in local mode's order: HOOKPOST_REDIS_URL, else the embedded Redis of a running `npm start`
 * (HOOKPOST_DATA_DIR/redis/port), else redis://127.0.0.1:6379.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { type IncomingMessage, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { LOCAL_DEV_TOKEN } from '../config/index.js';
import { createProducer } from '../src/events/index.js';
import { REDIS_INSTALL_HINT, clientRedis } from '../src/lifecycle/embedded-redis.js';
import { probeRedis } from '../src/lifecycle/redis-probe.js';
import { verify } from '../src/signing/verify.js';

const { url: redisUrl, why: redisWhy } = clientRedis(process.env);
const localScript = fileURLToPath(new URL('../workers/local.js', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

async function main(): Promise<number> {
  const problem = await probeRedis(redisUrl);
  if (problem) {
    const fix = problem.kind === 'unreachable' ? `. Start one with \`redis-server --daemonize yes\` or ${REDIS_INSTALL_HINT}` : '';
    process.stderr.write(`demo: ${problem.message} (${redisWhy})${fix}.\n`);
    return 1;
  }
  const prefix = `demo-${randomBytes(4).toString('hex')}`;
  const apiPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'hookpost-demo-'));
  const api = `http://127.0.0.1:${apiPort}/v2.1`;
  const auth = { authorization: `Token ${LOCAL_DEV_TOKEN}`, 'content-type': 'application/json' };

  console.log(`1. starting hookpost (all-in-one, local mode) on port ${apiPort}, Redis prefix ${prefix}`);
  const hookpost: ChildProcess = spawn(process.execPath, [localScript], {
    env: {
      ...process.env,
      HOOKPOST_REDIS_URL: redisUrl,
      HOOKPOST_PREFIX: prefix,
      HOOKPOST_API_PORT: String(apiPort),
      HOOKPOST_API_HOST: '127.0.0.1',
      HOOKPOST_DATA_DIR: dataDir,
      HOOKPOST_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const cleanup = async () => {
    hookpost.kill('SIGTERM');
    await new Promise((r) => hookpost.once('exit', r));
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    rmSync(dataDir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${apiPort}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 100 || hookpost.exitCode !== null) {
      process.stderr.write('demo: hookpost did not start\n');
      return 1;
    }
    await sleep(100);
  }
  const key = (await (await fetch(`${api}/signing-key`)).json()) as { keyid: string; public_key_pem: string };
  console.log(`   public key ${key.keyid.slice(0, 24)}... (GET /v2.1/signing-key)`);

  let verified = 0;
  const receiver = createServer(async (req, res) => {
    const body = await readBody(req);
    const result = await verify(
      { method: req.method ?? '', url: `http://${req.headers.host}${req.url}`, headers: req.headers, body },
      { publicKey: key.public_key_pem },
    );
    res.writeHead(result.ok ? 204 : 401).end();
    const payload = JSON.parse(body.toString()) as Record<string, unknown>;
    const extra = payload.result_truncated ? ' (result left out: over 16 kB)' : payload.result !== undefined ? ` result=${JSON.stringify(payload.result)}` : '';
    console.log(
      result.ok
        ? `   ✔ verified ${payload.event} delivery ${req.headers['hookpost-delivery-id']}\n     text: ${payload.text}${extra}`
        : `   ✘ signature rejected: ${result.reason} (${result.message})`,
    );
    if (result.ok) verified++;
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/hookpost`;
  console.log(`2. receiver verifying signatures at ${receiverUrl}`);

  const created = await fetch(`${api}/projects/demo/webhooks`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({
      name: 'demo-webhook',
      url: receiverUrl,
      object_type: 'deployment',
      object_name: 'text-classifier',
      version: null,
      event: 'deployment_request_finished',
      include_result: true,
      headers: [{ key: 'Authorization', value: 'Bearer receiver-secret', protected: true }],
    }),
  });
  console.log(`3. POST ${api}/projects/demo/webhooks -> ${created.status}`);
  console.log(`   ${JSON.stringify(await created.json())}`);

  const producer = createProducer({ redis: redisUrl, prefix });
  const base = { project: 'demo', object_type: 'deployment', object_name: 'text-classifier', version: 'v1', is_default_version: true };
  const events = [
    { ...base, request_id: 'demo-1', status: 'completed', result: { label: 'positive', score: 0.97 } },
    { ...base, request_id: 'demo-2', status: 'failed', error_message: 'Out of memory' },
    { ...base, request_id: 'demo-3', status: 'completed', result: { text: 'x'.repeat(20_000) } },
  ];
  console.log('4. publishing 3 events (completed, failed, completed with a 20 kB result)');
  await producer.publishMany(events);
  for (let i = 0; verified < events.length && i < 100; i++) await sleep(100);
  await producer.close();
  receiver.close();
  await cleanup();
  console.log(verified === events.length ? `done: ${verified} deliveries verified.` : `only ${verified} of ${events.length} deliveries verified`);
  return verified === events.length ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
