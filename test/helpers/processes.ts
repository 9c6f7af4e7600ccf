/**
 * hookpost processes as children (the built `dist/workers/*.js`, as in production), for tests that
 * kill, stop or restart them. `npm test` builds first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { freePort } from './redis.js';
import { TEST_TOKEN } from './token.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface ChildWorker {
  readonly proc: ChildProcess;
  /** Parsed JSON log lines so far. */
  readonly logs: Array<Record<string, unknown>>;
  readonly stderr: () => string;
  /** Everything written to stdout so far (log lines and the local-mode banner). */
  readonly stdout: () => string;
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** A PEM file with a fresh Ed25519 key, and its public key. */
export function writeSigningKey(): { path: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const path = join(mkdtempSync(join(tmpdir(), 'hookpost-key-')), 'key.pem');
  writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return { path, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/**
 * The environment of a test worker process: its own prefix and key, loopback receivers allowed,
 * metrics on a free port, a 5 s job lock and a 200 ms retry schedule, then `extra`.
 */
export async function workerEnv(
  redisUrl: string,
  prefix: string,
  keyPath: string,
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  return {
    HOOKPOST_REDIS_URL: redisUrl,
    HOOKPOST_PREFIX: prefix,
    HOOKPOST_API_TOKENS: TEST_TOKEN,
    HOOKPOST_SIGNING_KEY_FILE: keyPath,
    HOOKPOST_ALLOW_HTTP: 'true',
    HOOKPOST_ALLOW_PRIVATE_TARGETS: 'true',
    HOOKPOST_METRICS_PORT: String(await freePort()),
    HOOKPOST_API_HOST: '127.0.0.1',
    HOOKPOST_LOCK_DURATION: '5s',
    HOOKPOST_RETRY_SCHEDULE: '200ms',
    ...extra,
  };
}

/** A file with a fresh key for secrets at rest (HOOKPOST_ENCRYPTION_KEY_FILE). */
export function writeEncryptionKey(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'hookpost-enc-')), 'encryption-key');
  writeFileSync(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  return path;
}

/**
 * Spawns a built entrypoint. The api and worker roles get a fresh HOOKPOST_ENCRYPTION_KEY_FILE
 * unless `env` sets the variable (to a path, or to '' to leave it unset).
 */
export function spawnWorker(role: 'worker' | 'api' | 'local', env: Record<string, string>, options: SpawnOptions = {}): ChildWorker {
  const script = join(root, 'dist', 'workers', `${role}.js`);
  if (!existsSync(script)) throw new Error(`${script} is missing: run npm run build first`);
  const withKey = role === 'local' || 'HOOKPOST_ENCRYPTION_KEY_FILE' in env ? env : { ...env, HOOKPOST_ENCRYPTION_KEY_FILE: writeEncryptionKey() };
  return spawnChild(process.execPath, [script], withKey, options);
}

/**
 * `npm start` exactly as a user runs it, minus the `prestart` build (`--ignore-scripts` skips pre/post
 * scripts only; `npm test` has built already): npm, the start script's shell, then node.
 */
export function spawnNpmStart(env: Record<string, string>, options: SpawnOptions = {}): ChildWorker {
  if (!existsSync(join(root, 'dist', 'workers', 'local.js'))) throw new Error('dist/workers/local.js is missing: run npm run build first');
  return spawnChild('npm', ['start', '--ignore-scripts', '--silent'], env, options);
}

export interface SpawnOptions {
  /**
   * Its own process group (pgid = its pid), as a terminal's foreground job: `process.kill(-pid,
   * 'SIGINT')` then does what Ctrl-C does, signalling every process of the group at once.
   */
  readonly detached?: boolean;
}

/** Runs `command` in the repository root with `env` (plus PATH unless given) and records its output. */
export function spawnChild(command: string, args: readonly string[], env: Record<string, string>, options: SpawnOptions = {}): ChildWorker {
  const proc = spawn(command, args, {
    cwd: root,
    detached: options.detached === true,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const logs: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let err = '';
  let pending = '';
  proc.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        logs.push(JSON.parse(line));
      } catch {
        // not a log line
      }
    }
    for (const wake of waiters.splice(0)) wake();
  });
  proc.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) => {
    proc.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  return {
    proc,
    logs,
    stderr: () => err,
    stdout: () => out,
    exited,
    async waitForLog(predicate, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = logs.find(predicate);
        if (found) return found;
        if (Date.now() > deadline || proc.exitCode !== null) {
          throw new Error(`log line not seen within ${timeoutMs} ms; stderr: ${err.slice(-2000)}`);
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 100);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
  };
}

/**
 * Per-test cleanup for tests that run processes: `track(p)` kills `p` (SIGKILL) after the test if it
 * still runs and returns it; `defer(fn)` runs `fn` after the test (last registered first).
 */
export function useProcessScope() {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const defer = (cleanup: () => Promise<unknown> | unknown) => {
    cleanups.push(cleanup);
  };
  return {
    defer,
    track<T extends ChildWorker>(p: T): T {
      defer(() => {
        if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
      });
      return p;
    },
  };
}
