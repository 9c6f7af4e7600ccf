/**
 * The local quickstart's own Redis: a `redis-server` from PATH with its data in
 * `<HOOKPOST_DATA_DIR>/redis` (AOF on, `noeviction`, bound to 127.0.0.1 on a port recorded beside the
 * data), started and stopped with hookpost. Used only by local mode when HOOKPOST_REDIS_URL is unset
 * and nothing answers at the default URL, or when the data folder already holds its data.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { ErrorCode, HookpostError } from '../errors.js';
import { probeRedis } from './redis-probe.js';

/** How to get a Redis, per platform (shown when neither one answers nor redis-server is on PATH). */
export const REDIS_INSTALL_HINT =
  'install one (Debian/Ubuntu: `sudo apt-get install redis-server`; macOS: `brew install redis`; ' +
  'Docker: `docker run -d -p 6379:6379 redis:7`)';

export interface EmbeddedRedis {
  /** `redis://127.0.0.1:<port>` (no password: it listens on loopback only). */
  readonly url: string;
  /** Where its append-only file lives. */
  readonly dir: string;
  /** Stops the server (SIGTERM: Redis flushes the AOF first), waiting up to `timeoutMs`. */
  close(timeoutMs?: number): Promise<void>;
  /** Sends it SIGTERM without waiting (hookpost exits at once): it still flushes its AOF and exits. */
  abandon(): void;
}

/** The folder of the embedded Redis under the local data folder. */
export function embeddedRedisDir(dataDir: string): string {
  return resolve(dataDir, 'redis');
}

/** True when an embedded Redis has run with this data folder before (its port is recorded). */
export function hasEmbeddedRedis(dataDir: string): boolean {
  return existsSync(join(embeddedRedisDir(dataDir), 'port'));
}

/** A Redis URL and why it was chosen, in words for the user (`from HOOKPOST_REDIS_URL`, ...). */
export interface ChosenRedis {
  readonly url: string;
  readonly why: string;
}

/** The data folder of local mode as its clients see it: HOOKPOST_DATA_DIR, else `.hookpost`. */
const dataDirOf = (env: Readonly<Record<string, string | undefined>>) => env['HOOKPOST_DATA_DIR']?.trim() || '.hookpost';

/**
 * The Redis that clients of local mode (`hookpost publish`, the demo, examples/publish.mjs) use,
 * in local mode's own order: HOOKPOST_REDIS_URL; else the embedded Redis whose port `npm start`
 * recorded in HOOKPOST_DATA_DIR/redis/port; else redis://127.0.0.1:6379. No network access.
 */
export function clientRedis(env: Readonly<Record<string, string | undefined>>): ChosenRedis {
  const configured = env['HOOKPOST_REDIS_URL']?.trim();
  if (configured) return { url: configured, why: 'from HOOKPOST_REDIS_URL' };
  const portFile = join(embeddedRedisDir(dataDirOf(env)), 'port');
  const port = readNumber(portFile);
  if (port !== undefined) {
    return {
      url: `redis://127.0.0.1:${port}`,
      why: `the embedded Redis of \`npm start\`, port recorded in ${join(dataDirOf(env), 'redis', 'port')} (is \`npm start\` running? or set HOOKPOST_REDIS_URL)`,
    };
  }
  return {
    url: 'redis://127.0.0.1:6379',
    why: `the default: HOOKPOST_REDIS_URL is unset and no embedded Redis is recorded in ${join(dataDirOf(env), 'redis')}`,
  };
}

/**
 * Which Redis local mode uses: the configured URL when HOOKPOST_REDIS_URL is set; the embedded one when
 * its data already exists (so the registry does not change under the user when another Redis appears
 * later); else the default URL when something answers there (even if it wants a password: that is
 * then reported), and the embedded one when nothing does.
 */
export async function chooseLocalRedis(input: {
  readonly redisUrlSet: boolean;
  readonly embeddedDataExists: boolean;
  /** Asked only when the first two do not decide. */
  readonly defaultUnreachable: () => Promise<boolean>;
}): Promise<'configured' | 'embedded'> {
  if (input.redisUrlSet) return 'configured';
  if (input.embeddedDataExists) return 'embedded';
  return (await input.defaultUnreachable()) ? 'embedded' : 'configured';
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function readNumber(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * A server left running by a hookpost that was killed (SIGKILL skips the shutdown): stop it, so the new
 * one can take the same data. Only a process that /proc shows to be a redis-server is signalled.
 */
async function stopLeftover(pidFile: string): Promise<void> {
  const pid = readNumber(pidFile);
  if (pid === undefined || !isRunning(pid)) return;
  let command = '';
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!command.includes('redis-server')) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && isRunning(pid); i++) await new Promise((r) => setTimeout(r, 50));
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done();
    else child.once('exit', () => done());
  });
}

/**
 * Starts (or restarts on its existing data) the embedded Redis under `dataDir`. Throws HookpostError
 * REDIS_UNAVAILABLE with the install commands when there is no `redis-server` on PATH, or with the
 * log's last lines when it does not start within `timeoutMs`.
 */
export async function startEmbeddedRedis(options: { readonly dataDir: string; readonly timeoutMs?: number }): Promise<EmbeddedRedis> {
  const dir = embeddedRedisDir(options.dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pidFile = join(dir, 'redis.pid');
  const portFile = join(dir, 'port');
  const logFile = join(dir, 'redis.log');
  await stopLeftover(pidFile);
  const recorded = readNumber(portFile);
  const port = recorded !== undefined && (await portIsFree(recorded)) ? recorded : await freePort();
  const url = `redis://127.0.0.1:${port}`;
  // Its own process group: a Ctrl-C in the terminal reaches hookpost, which drains its deliveries
  // and only then stops Redis, last.
  const child = spawn(
    'redis-server',
    [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--protected-mode', 'yes',
      '--dir', dir,
      '--appendonly', 'yes',
      '--appendfsync', 'everysec',
      '--maxmemory-policy', 'noeviction',
      '--save', '',
      '--daemonize', 'no',
      '--pidfile', pidFile,
      '--logfile', logFile,
    ],
    { stdio: 'ignore', detached: true },
  );
  const failed = new Promise<Error>((done) => {
    child.once('error', (err) => done(err));
    child.once('exit', (code, signal) => done(new Error(`redis-server exited (${code ?? signal})`)));
  });
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  let failure: Error | undefined;
  void failed.then((err) => {
    failure = err;
  });
  for (;;) {
    if (failure) break;
    if ((await probeRedis(url, 500)) === undefined) break;
    if (Date.now() > deadline) {
      failure = new Error(`redis-server did not answer within ${timeoutMs} ms`);
      child.kill('SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (failure) {
    if ((failure as { code?: unknown }).code === 'ENOENT') {
      throw new HookpostError(ErrorCode.REDIS_UNAVAILABLE, `there is no redis-server on PATH to start the local Redis in ${dir}: ${REDIS_INSTALL_HINT}`);
    }
    const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ') : '';
    throw new HookpostError(ErrorCode.REDIS_UNAVAILABLE, `the local Redis in ${dir} did not start: ${failure.message}${tail ? ` (${tail})` : ''}`);
  }
  // Written once it runs: the port file marks a data folder whose Redis local mode keeps using.
  writeFileSync(portFile, `${port}\n`);
  return {
    url,
    dir,
    async close(closeTimeoutMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), closeTimeoutMs);
      await exited(child);
      clearTimeout(timer);
    },
    abandon() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}
