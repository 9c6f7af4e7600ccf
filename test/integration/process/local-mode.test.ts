/**
 * Local mode (`npm start`) is safe and explains itself: it listens on loopback only, stops cleanly
 * (with its embedded Redis) on SIGTERM to the npm process, reuses its embedded Redis's data, names the
 * install commands when there is no redis-server, says NOAUTH/WRONGPASS plainly without ever printing
 * a password, and names the variable to change when a port is taken.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { LOCAL_DEV_TOKEN } from '../../../config/index.js';
import { eventually } from '../../helpers/engine.js';
import { freePort, startRedisServer } from '../../helpers/index.js';
import { type ChildWorker, spawnNpmStart, spawnWorker, writeSigningKey, useProcessScope } from '../../helpers/processes.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A data folder whose embedded Redis has run before on `port` (what local mode records). */
function dataDirWithEmbeddedRedis(port: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'hookpost-local-'));
  mkdirSync(join(dir, 'redis'));
  writeFileSync(join(dir, 'redis', 'port'), `${port}\n`);
  return dir;
}

const bannerSeen = (p: ChildWorker) => p.waitForLog((l) => l.msg === 'engine started', 60_000).then(async () => {
  for (let i = 0; i < 50 && !p.stdout().includes('hookpost is running'); i++) await new Promise((r) => setTimeout(r, 50));
  return p.stdout();
});

const api = (port: number, path: string, init: RequestInit = {}) =>
  fetch(`http://127.0.0.1:${port}/v2.1${path}`, {
    ...init,
    headers: { authorization: `Token ${LOCAL_DEV_TOKEN}`, 'content-type': 'application/json' },
  });

describe('local mode', () => {
  const { defer, track } = useProcessScope();

  it('npm start: loopback only, embedded Redis; SIGTERM to npm stops node and Redis, exit 0; data is reused', async () => {
    const redisPort = await freePort();
    const dataDir = dataDirWithEmbeddedRedis(redisPort);
    const apiPort = await freePort();
    const env = { HOOKPOST_DATA_DIR: dataDir, HOOKPOST_API_PORT: String(apiPort) };
    const npm = track(spawnNpmStart(env));
    const banner = await bannerSeen(npm);
    expect(banner).toContain('listening    127.0.0.1 only');
    expect(banner).toContain('private and loopback targets ALLOWED');
    expect(banner).toContain(
      `Redis        redis://127.0.0.1:${redisPort}   embedded, data in ${join(dataDir, 'redis')} (found there, so used before 127.0.0.1:6379; stopped with hookpost)`,
    );
    expect(npm.logs.find((l) => l.msg === 'using Redis')).toMatchObject({ redis: `redis://127.0.0.1:${redisPort}`, why: expect.stringContaining('embedded, data in') });
    const nodePid = npm.logs.find((l) => l.msg === 'engine started')?.pid as number;
    const redisPid = Number(readFileSync(join(dataDir, 'redis', 'redis.pid'), 'utf8'));
    expect(nodePid).not.toBe(npm.proc.pid);
    expect(alive(redisPid)).toBe(true);

    // Not reachable on another interface of this machine (when it has one).
    const other = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
    if (other) await expect(fetch(`http://${other.address}:${apiPort}/healthz`)).rejects.toThrow();

    const created = await api(apiPort, '/projects/demo/webhooks', {
      method: 'POST',
      body: JSON.stringify({ name: 'kept', url: 'http://127.0.0.1:9/hook', object_type: 'deployment', object_name: 'm', version: 'v1', event: 'deployment_request_completed' }),
    });
    expect(created.status).toBe(201);

    npm.proc.kill('SIGTERM');
    expect(await npm.exited).toBe(0);
    expect(alive(nodePid)).toBe(false);
    expect(alive(redisPid)).toBe(false);

    // Next time: the same embedded Redis data (AOF), so the webhook is still there.
    const again = track(spawnWorker('local', env));
    await bannerSeen(again);
    const secondRedisPid = Number(readFileSync(join(dataDir, 'redis', 'redis.pid'), 'utf8'));
    const listed = (await (await api(apiPort, '/projects/demo/webhooks')).json()) as Array<{ name: string }>;
    expect(listed.map((w) => w.name)).toEqual(['kept']);
    again.proc.kill('SIGINT');
    expect(await again.exited).toBe(0);
    expect(alive(secondRedisPid)).toBe(false);
  }, 180_000);

  // A terminal's Ctrl-C signals the whole foreground process group: npm, and node beside it, which
  // then gets a second SIGINT that npm forwards. Both must count as one request to stop.
  it.each([
    ['npm start', 'SIGINT'],
    ['npm start', 'SIGTERM'],
    ['node dist/workers/local.js', 'SIGINT'],
  ] as const)('%s: %s to its process group (Ctrl-C) drains, stops the embedded Redis, exit 0', async (how, signal) => {
    const dataDir = dataDirWithEmbeddedRedis(await freePort());
    const env = { HOOKPOST_DATA_DIR: dataDir, HOOKPOST_API_PORT: String(await freePort()) };
    const proc = track(how === 'npm start' ? spawnNpmStart(env, { detached: true }) : spawnWorker('local', env, { detached: true }));
    defer(() => {
      try {
        process.kill(-(proc.proc.pid as number), 'SIGKILL');
      } catch {
        // already gone
      }
    });
    await bannerSeen(proc);
    const nodePid = proc.logs.find((l) => l.msg === 'engine started')?.pid as number;
    const redisPid = Number(readFileSync(join(dataDir, 'redis', 'redis.pid'), 'utf8'));
    expect(alive(redisPid)).toBe(true);

    process.kill(-(proc.proc.pid as number), signal);
    expect(await proc.exited).toBe(0);
    await eventually(() => !alive(nodePid) && !alive(redisPid), 20_000, 'node and the embedded redis-server to be gone');
    expect(proc.logs.some((l) => l.msg === 'shutdown complete')).toBe(true);
    expect(proc.logs.some((l) => l.msg === 'second signal: exiting now')).toBe(false);
    expect(proc.stderr()).toBe('');
    // Its data is kept: the append-only file is still there.
    expect(readdirSync(join(dataDir, 'redis')).some((f) => f.startsWith('appendonly'))).toBe(true);
  }, 180_000);

  it('exposed on the network without HOOKPOST_API_TOKENS: refuses to start, naming both variables (exit 2)', async () => {
    for (const host of ['0.0.0.0', '::']) {
      const local = track(spawnWorker('local', { HOOKPOST_API_HOST: host, HOOKPOST_DATA_DIR: mkdtempSync(join(tmpdir(), 'hookpost-local-')), HOOKPOST_REDIS_URL: inject('redisUrl') }));
      expect(await local.exited).toBe(2);
      expect(local.stderr()).toContain(`HOOKPOST_API_HOST: "${host}" is reachable from other machines, and without HOOKPOST_API_TOKENS local mode accepts the published token`);
      expect(local.stderr()).toContain('set HOOKPOST_API_TOKENS (or HOOKPOST_API_TOKENS_FILE) too, or leave HOOKPOST_API_HOST unset (127.0.0.1)');
      expect(local.stdout()).not.toContain('hookpost is running');
    }
  }, 180_000);

  it('without a redis-server on PATH it names the install command per platform', async () => {
    const local = spawnWorker('local', { HOOKPOST_DATA_DIR: dataDirWithEmbeddedRedis(await freePort()), PATH: '/nonexistent', HOOKPOST_API_PORT: String(await freePort()) });
    expect(await local.exited).toBe(1);
    const lines = local.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^hookpost: there is no redis-server on PATH to start the local Redis in .*\/redis: install one/);
    for (const hint of ['apt-get install redis-server', 'brew install redis', 'docker run -d -p 6379:6379 redis:7', 'HOOKPOST_REDIS_URL']) {
      expect(lines[0]).toContain(hint);
    }
  });

  it('a Redis that cannot be reached: one line with how to start one', async () => {
    const local = spawnWorker('local', {
      HOOKPOST_REDIS_URL: `redis://:pw-unreachable@127.0.0.1:${await freePort()}`,
      HOOKPOST_DATA_DIR: mkdtempSync(join(tmpdir(), 'hookpost-local-')),
    });
    expect(await local.exited).toBe(1);
    expect(local.stderr()).toMatch(/^hookpost: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ \(ECONNREFUSED\)\. Start one with `redis-server --daemonize yes`/);
    expect(local.stderr()).not.toContain('pw-unreachable');
  });

  it('NOAUTH and WRONGPASS are said as such, and no password is ever printed', async () => {
    const password = 'pw-0123456789-secret';
    const server = await startRedisServer({ args: ['--requirepass', password] });
    defer(() => server.stop());
    const run = async (url: string) => {
      const local = spawnWorker('local', { HOOKPOST_REDIS_URL: url, HOOKPOST_DATA_DIR: mkdtempSync(join(tmpdir(), 'hookpost-local-')) });
      expect(await local.exited).toBe(1);
      return local.stderr();
    };
    const noauth = await run(server.url);
    expect(noauth).toContain(`Redis at redis://127.0.0.1:${server.port} needs a password (NOAUTH)`);
    expect(noauth).not.toContain('cannot reach');
    const wrong = await run(`redis://:wrong-password-42@127.0.0.1:${server.port}`);
    expect(wrong).toContain(`Redis at redis://:***@127.0.0.1:${server.port} rejected the user name or password (WRONGPASS)`);
    expect(wrong).not.toContain('wrong-password-42');
    const user = await run(`redis://bob:bobs-password-42@127.0.0.1:${server.port}`);
    expect(user).toContain(`redis://bob:***@127.0.0.1:${server.port}`);
    expect(user).not.toContain('bobs-password-42');

    const apiPort = await freePort();
    const ok = track(
      spawnWorker('local', {
        HOOKPOST_REDIS_URL: `redis://:${password}@127.0.0.1:${server.port}`,
        HOOKPOST_API_PORT: String(apiPort),
        HOOKPOST_DATA_DIR: mkdtempSync(join(tmpdir(), 'hookpost-local-')),
      }),
    );
    const banner = await bannerSeen(ok);
    expect(banner).toContain(`Redis        redis://:***@127.0.0.1:${server.port}   from HOOKPOST_REDIS_URL\n`);
    ok.proc.kill('SIGTERM');
    expect(await ok.exited).toBe(0);
    expect(ok.stdout() + ok.stderr()).not.toContain(password);
  }, 180_000);

  it.each([
    ['local', 'HOOKPOST_API_PORT'],
    ['worker', 'HOOKPOST_METRICS_PORT'],
  ] as const)('%s: a port already in use is one line naming %s, exit 1', async (role, variable) => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    defer(() => new Promise((resolve) => taken.close(resolve)));
    const port = (taken.address() as { port: number }).port;
    const proc = track(
      spawnWorker(role, {
        HOOKPOST_REDIS_URL: inject('redisUrl'),
        HOOKPOST_API_HOST: '127.0.0.1',
        [variable]: String(port),
        HOOKPOST_DATA_DIR: mkdtempSync(join(tmpdir(), 'hookpost-local-')),
        HOOKPOST_SIGNING_KEY_FILE: writeSigningKey().path,
      }),
    );
    expect(await proc.exited).toBe(1);
    expect(proc.stderr()).toBe(`hookpost: port ${port} on 127.0.0.1 is already in use: set ${variable} to a free port\n`);
  });
});

describe('worker with a Redis it cannot use', () => {
  it('logs one line per state change, /readyz 503 with the reason, no stack traces; recovers', async () => {
    const password = 'worker-pw-0123456789';
    const server = await startRedisServer({ args: ['--requirepass', 'another-password-xyz'] });
    const metricsPort = await freePort();
    const worker = spawnWorker('worker', {
      HOOKPOST_REDIS_URL: `redis://:${password}@127.0.0.1:${server.port}`,
      HOOKPOST_SIGNING_KEY_FILE: writeSigningKey().path,
      HOOKPOST_METRICS_PORT: String(metricsPort),
      HOOKPOST_API_HOST: '127.0.0.1',
    });
    try {
      await worker.waitForLog((l) => l.msg === 'redis unavailable');
      await new Promise((r) => setTimeout(r, 3_000)); // ioredis retries many times meanwhile
      const unavailable = worker.logs.filter((l) => l.msg === 'redis unavailable');
      expect(unavailable).toHaveLength(1);
      expect(unavailable[0]).toMatchObject({ level: 40, problem: 'auth_failed' });
      expect(worker.stderr()).toBe('');
      const ready = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({
        status: 'not ready',
        reason: `Redis at redis://:***@127.0.0.1:${server.port} rejected the user name or password (WRONGPASS): check the credentials in HOOKPOST_REDIS_URL`,
      });

      // The operator fixes Redis's password: the worker reconnects on its own and starts.
      const { Redis } = await import('ioredis');
      const admin = new Redis(server.url, { password: 'another-password-xyz' });
      await admin.config('SET', 'requirepass', password);
      admin.disconnect();
      await worker.waitForLog((l) => l.msg === 'engine started', 20_000);
      expect(worker.logs.filter((l) => l.msg === 'redis ready again').length).toBeGreaterThanOrEqual(1);
      expect((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status).toBe(200);
      expect(worker.stdout()).not.toContain(password);
      worker.proc.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    } finally {
      if (worker.proc.exitCode === null) worker.proc.kill('SIGKILL');
      await server.stop();
    }
  }, 180_000);
});
