/**
 * The log of a running hookpost stays readable while /ui or `hookpost tail` poll it and probes
 * and scrapers call it: successful reads (health, metrics, the polling routes, the page's files) log
 * at debug; changes and failed reads stay at info; a handler's warnings and errors stay visible.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { LOCAL_DEV_TOKEN } from '../../../config/index.js';
import { freePort, uniquePrefix } from '../../helpers/index.js';
import { type ChildWorker, spawnWorker, writeSigningKey } from '../../helpers/processes.js';

const POLLED = [
  '/healthz',
  '/readyz',
  '/metrics',
  '/ui',
  '/v2.1/projects/demo/deliveries?limit=50',
  '/v2.1/projects/demo/webhooks',
  '/v2.1/projects/demo/webhooks-health',
  '/v2.1/projects/demo/dead-letters?limit=50',
];

const accessLines = (p: ChildWorker) => p.logs.filter((l) => l.msg === 'request completed' || l.msg === 'incoming request');
const pathOf = (l: Record<string, unknown>) => (l.req as { path?: string } | undefined)?.path;

describe('access log levels', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function start(role: 'local' | 'worker', level: string) {
    const port = await freePort();
    const proc = spawnWorker(role, {
      HOOKPOST_REDIS_URL: inject('redisUrl'),
      HOOKPOST_PREFIX: uniquePrefix('quiet'),
      HOOKPOST_API_PORT: String(port),
      HOOKPOST_METRICS_PORT: String(port),
      HOOKPOST_API_HOST: '127.0.0.1',
      HOOKPOST_LOG_LEVEL: level,
      HOOKPOST_DATA_DIR: mkdtempSync(join(tmpdir(), 'hookpost-quiet-')),
      ...(role === 'worker' ? { HOOKPOST_SIGNING_KEY_FILE: writeSigningKey().path } : {}),
    });
    cleanups.push(() => {
      if (proc.proc.exitCode === null) proc.proc.kill('SIGKILL');
    });
    await proc.waitForLog((l) => l.msg === 'engine started', 60_000);
    return { proc, base: `http://127.0.0.1:${port}` };
  }

  const get = (url: string, token = LOCAL_DEV_TOKEN) => fetch(url, { headers: { authorization: `Token ${token}` } }).then((r) => r.status);

  it('at info: polling reads leave no access line; a change and a failed read do', async () => {
    const { proc, base } = await start('local', 'info');
    for (let round = 0; round < 3; round++) for (const path of POLLED) expect(await get(`${base}${path}`), path).toBe(200);
    const created = await fetch(`${base}/v2.1/projects/demo/webhooks`, {
      method: 'POST',
      headers: { authorization: `Token ${LOCAL_DEV_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'quiet', url: 'http://127.0.0.1:9/hook', object_type: 'deployment', object_name: 'm', version: 'v1', event: 'deployment_request_completed' }),
    });
    expect(created.status).toBe(201);
    expect(await get(`${base}/v2.1/projects/demo/deliveries`, 'wrong-token-0123456789')).toBe(401);
    expect(await get(`${base}/v2.1/projects/demo/deliveries/not-a-delivery`)).toBeGreaterThanOrEqual(400);
    await proc.waitForLog((l) => l.msg === 'request completed' && pathOf(l) === '/v2.1/projects/demo/deliveries/not-a-delivery');

    const lines = accessLines(proc);
    // Fastify's own lines: "incoming request" names the request, its "request completed" only the reqId.
    const polled = lines.filter((l) => (l.req as { method?: string } | undefined)?.method === 'GET' && POLLED.some((p) => p.split('?')[0] === pathOf(l)));
    // Neither Fastify's "incoming request" nor a "request completed" below 400 for them.
    expect(polled.filter((l) => l.msg === 'incoming request' || (l.res as { statusCode: number }).statusCode < 400)).toEqual([]);
    expect(lines.filter((l) => pathOf(l) === '/v2.1/projects/demo/webhooks' && (l.req as { method: string }).method === 'POST').length).toBeGreaterThanOrEqual(1);
    expect(lines.some((l) => (l.res as { statusCode?: number } | undefined)?.statusCode === 401 && l.level === 30)).toBe(true);
  }, 180_000);

  it.each(['local', 'worker'] as const)('%s at debug: each successful read is one debug access line', async (role) => {
    const { proc, base } = await start(role, 'debug');
    const paths = role === 'local' ? POLLED : ['/healthz', '/readyz', '/metrics'];
    for (const path of paths) expect(await get(`${base}${path}`), path).toBe(200);
    for (const path of paths) {
      await proc.waitForLog((l) => l.msg === 'request completed' && pathOf(l) === path.split('?')[0]);
      const seen = accessLines(proc).filter((l) => pathOf(l) === path.split('?')[0]);
      expect(seen.map((l) => `${l.level} ${l.msg}`), path).toEqual(['20 request completed']);
    }
  }, 180_000);
});
