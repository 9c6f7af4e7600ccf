/** Startup problems end a process at once with one clear line naming the problem. */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { freePort } from '../../helpers/index.js';
import { spawnWorker, writeSigningKey } from '../../helpers/processes.js';
import { TEST_TOKEN } from '../../helpers/token.js';

const dir = mkdtempSync(join(tmpdir(), 'hookpost-startup-'));
const rsaKey = join(dir, 'rsa.pem');
writeFileSync(rsaKey, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));

describe('process startup', () => {
  it('an invalid variable stops the process with exit code 2 naming it', async () => {
    const worker = spawnWorker('worker', { HOOKPOST_API_PORT: 'abc', HOOKPOST_SIGNING_KEY_FILE: rsaKey });
    expect(await worker.exited).toBe(2);
    expect(worker.stderr()).toContain('HOOKPOST_API_PORT: expected an integer 1-65535, got "abc"');
  });

  it.each([
    [join(dir, 'missing.pem'), 'HOOKPOST_ERR_SIGNING_KEY_MISSING'],
    [rsaKey, 'HOOKPOST_ERR_SIGNING_KEY_WRONG_TYPE'],
  ])('a bad signing key (%s) stops the worker with %s', async (path, code) => {
    const worker = spawnWorker('worker', {
      HOOKPOST_REDIS_URL: inject('redisUrl'),
      HOOKPOST_SIGNING_KEY_FILE: path,
      HOOKPOST_METRICS_PORT: String(await freePort()),
    });
    expect(await worker.exited).toBe(1);
    expect(worker.stderr()).toContain(code);
    expect(worker.stderr().trim().split('\n')).toHaveLength(1);
  });

  it('the API refuses to start without tokens', async () => {
    const worker = spawnWorker('api', { HOOKPOST_SIGNING_KEY_FILE: rsaKey });
    expect(await worker.exited).toBe(2);
    expect(worker.stderr()).toContain('HOOKPOST_API_TOKENS: required');
  });

  it('the API process serves, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const api = spawnWorker('api', {
      HOOKPOST_REDIS_URL: inject('redisUrl'),
      HOOKPOST_SIGNING_KEY_FILE: writeSigningKey().path,
      HOOKPOST_API_TOKENS: TEST_TOKEN,
      HOOKPOST_API_HOST: '127.0.0.1',
      HOOKPOST_API_PORT: String(port),
    });
    await api.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('Server listening'));
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const unauthorized = await fetch(`http://127.0.0.1:${port}/v2.1/projects/demo/webhooks`);
    expect(unauthorized.status).toBe(401);
    api.proc.kill('SIGTERM');
    expect(await api.exited).toBe(0);
  });

  it('the local quickstart says in one line how to start Redis when none answers', async () => {
    const local = spawnWorker('local', {
      HOOKPOST_REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      HOOKPOST_DATA_DIR: join(dir, 'data'),
    });
    expect(await local.exited).toBe(1);
    expect(local.stderr()).toMatch(/^hookpost: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)\. Start one with `redis-server --daemonize yes`/);
    expect(local.stderr().trim().split('\n')).toHaveLength(1);
  });
});
