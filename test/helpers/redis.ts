/**
 * Real Redis for tests. Order of preference: a private `redis-server` on a free
 * port (hermetic, and fault tests can kill and restart it), else HOOKPOST_TEST_REDIS_URL, else a
 * testcontainers Redis when a Docker engine answers.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface TestRedis {
  readonly url: string;
  /** Stops the server (or container) and removes its files. */
  stop(): Promise<void>;
}

export interface RedisServer extends TestRedis {
  readonly port: number;
  /** SIGKILL: the server dies at once, like a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port (and, when persistent, with the same data). */
  start(): Promise<void>;
  readonly running: boolean;
}

export interface RedisServerOptions {
  /** Keep data across kill/start with an append-only file fsynced on every write. */
  readonly persistent?: boolean;
  /** More redis-server arguments, e.g. `['--requirepass', 'secret']`. */
  readonly args?: readonly string[];
}

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function hasRedisServerBinary(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    socket.setTimeout(500);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) {
        socket.destroy();
        // A server with requirepass answers NOAUTH: it is up.
        resolve(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
      }
    });
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(false));
  });
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Starts a private redis-server on a free port. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'hookpost-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--save', '',
    '--daemonize', 'no',
    '--logfile', join(dir, 'redis.log'),
    ...(options.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    ...(options.args ?? []),
  ];

  const start = async () => {
    const proc = spawn('redis-server', args, { stdio: 'ignore' });
    child = proc;
    proc.on('exit', () => {
      if (child === proc) child = undefined;
    });
    await waitUntil(() => ping(port), 10_000, `redis-server on port ${port}`);
  };
  const exited = (proc: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) resolve();
      else proc.once('exit', () => resolve());
    });
  const kill = async () => {
    const proc = child;
    if (!proc) return;
    proc.kill('SIGKILL');
    await exited(proc);
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get running() {
      return child !== undefined;
    },
    start,
    kill,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startContainerRedis(): Promise<TestRedis> {
  // Loaded only here: testcontainers is needed only on machines with Docker and no redis-server.
  const { GenericContainer } = await import('testcontainers');
  const container = await new GenericContainer('redis:7-alpine').withExposedPorts(6379).start();
  return {
    url: `redis://${container.getHost()}:${container.getMappedPort(6379)}`,
    async stop() {
      await container.stop();
    },
  };
}

function dockerAnswers(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

/** The Redis for a test run, in the order of preference above. */
export async function acquireTestRedis(env: NodeJS.ProcessEnv = process.env): Promise<TestRedis> {
  if (hasRedisServerBinary()) return startRedisServer();
  const url = env.HOOKPOST_TEST_REDIS_URL;
  if (url) return { url, stop: async () => {} };
  if (dockerAnswers()) return startContainerRedis();
  throw new Error(
    'no Redis for tests: install redis-server (apt-get install -y redis-server), ' +
      'set HOOKPOST_TEST_REDIS_URL, or run a Docker engine for testcontainers',
  );
}

/** A key prefix no other test uses, so tests can share one Redis. */
export function uniquePrefix(label = 't'): string {
  return `${label}-${randomBytes(6).toString('hex')}`;
}
