/**
 * An undecryptable record costs only its own delivery (issue 16, point 2): during an encryption key
 * rotation done in the wrong order — the API rolled with the new key first, a worker still on the
 * old key file — a webhook whose secret was written with the new key must not take the event down:
 * the other webhooks of the event are delivered, that one becomes a dead letter saying why, and it is
 * re-driven once the worker has the key. An API process without the key lists the webhook marked
 * `secrets_unreadable`, answers GET, refuses PATCH with 409 and always DELETEs.
 *
 * Real processes (two API processes, two workers one after the other) built from dist/, two key
 * files, one Redis, real receivers, two projects.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createProducer } from '../../../src/events/index.js';
import { buildProcessApp } from '../../../src/lifecycle/run.js';
import { createRegistry, createSecretsCipher } from '../../../src/registry/index.js';
import { verifyStandardWebhook } from '../../../src/signing/verify.js';
import { eventually, requestEvent, testEncryptionKey, useTestScope } from '../../helpers/engine.js';
import { freePort, startReceiver, uniquePrefix } from '../../helpers/index.js';
import { type ChildWorker, spawnWorker, workerEnv, writeSigningKey } from '../../helpers/processes.js';

const TOKEN = 'test-token-0123456789';
const hex = (n: number) => randomBytes(n).toString('hex');

/** A key file with these keys, first line first (the first one encrypts). */
function keyFile(...keys: Buffer[]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'hookpost-enc-')), 'encryption-key');
  writeFileSync(path, keys.map((k) => `${k.toString('base64')}\n`).join(''), { mode: 0o600 });
  return path;
}

describe('an undecryptable webhook during a key rotation', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const track = (w: ChildWorker) => {
    cleanups.push(() => {
      if (w.proc.exitCode === null) w.proc.kill('SIGKILL');
    });
    return w;
  };

  it('costs only its own delivery, shows up marked, deletes, and is re-driven once the key is there', async () => {
    const redisUrl = inject('redisUrl');
    const prefix = uniquePrefix('unread');
    const signing = writeSigningKey();
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const oldFile = keyFile(oldKey);
    const rotatedFile = keyFile(newKey, oldKey); // the API rolled first, with the new key first
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());

    const startApi = async (encryptionKeyFile: string) => {
      const port = await freePort();
      const env = await workerEnv(redisUrl, prefix, signing.path, {
        HOOKPOST_ENCRYPTION_KEY_FILE: encryptionKeyFile,
        HOOKPOST_API_PORT: String(port),
        HOOKPOST_API_TOKENS: TOKEN,
      });
      const api = track(spawnWorker('api', env));
      await api.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('listening'), 60_000);
      const call = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`http://127.0.0.1:${port}${path}`, {
          method,
          headers: {
            authorization: `${path.startsWith('/workspaces') ? 'Bearer' : 'Token'} ${TOKEN}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await res.text();
        return { status: res.status, text, json: text === '' ? undefined : JSON.parse(text) };
      };
      return { api, call };
    };
    const startWorker = async (encryptionKeyFile: string) => {
      const env = await workerEnv(redisUrl, prefix, signing.path, { HOOKPOST_ENCRYPTION_KEY_FILE: encryptionKeyFile });
      const worker = track(spawnWorker('worker', env));
      await worker.waitForLog((l) => l.msg === 'engine started', 60_000);
      return worker;
    };

    const secret = `secret-${hex(12)}`;
    const header = `Bearer ${hex(16)}`;
    const hook = (name: string, path: string, extra: Record<string, unknown> = {}) => ({
      name,
      url: `${receiver.url}/${path}`,
      object_type: 'deployment',
      object_name: 'model',
      version: 'v1',
      event: 'deployment_request_completed',
      ...extra,
    });

    // Before the rotation: written with the old key.
    const notRolled = await startApi(oldFile);
    expect((await notRolled.call('POST', '/v2.1/projects/alpha/webhooks', hook('plain', 'plain'))).status).toBe(201);
    const betaHook = hook('beta-hook', 'beta', { secret: `beta-${secret}`, headers: [{ key: 'Authorization', value: `beta-${header}`, protected: true }] });
    expect((await notRolled.call('POST', '/v2.1/projects/beta/webhooks', betaHook)).status).toBe(201);

    // The API rolled first: the new key encrypts this one, which the old worker cannot read.
    const rolled = await startApi(rotatedFile);
    const guarded = hook('guarded', 'guarded', { secret, retry: false, headers: [{ key: 'Authorization', value: header, protected: true }] });
    expect((await rolled.call('POST', '/v2.1/projects/alpha/webhooks', guarded)).status).toBe(201);

    const oldWorker = await startWorker(oldFile);
    const redis = new Redis(redisUrl);
    cleanups.push(() => redis.quit());
    const producer = createProducer({ redis, prefix });
    cleanups.push(() => producer.close());
    const events = new Queue('events', { connection: redis, prefix });
    cleanups.push(() => events.close());

    const alphaEvent = await producer.publish(requestEvent({ project: 'alpha' }));
    const betaEvent = await producer.publish(requestEvent({ project: 'beta' }));
    await eventually(() => receiver.requests.some((r) => r.path === '/plain'), 60_000, 'the plain webhook delivered');
    await eventually(() => receiver.requests.some((r) => r.path === '/beta'), 60_000, "beta's webhook delivered");
    // The event job completed: one unreadable record did not fail it.
    await eventually(async () => (await events.getJobState(alphaEvent.jobId)) === 'completed', 60_000, 'the alpha event job completed');
    await eventually(async () => (await events.getJobState(betaEvent.jobId)) === 'completed', 60_000, 'the beta event job completed');
    expect(receiver.requests.filter((r) => r.path === '/guarded')).toEqual([]);
    expect(receiver.requests.find((r) => r.path === '/beta')?.headers.authorization).toBe(`beta-${header}`);

    // A dead letter with the reason, readable through either API.
    const letters = await eventually(
      async () => {
        const res = await rolled.call('GET', '/v2.1/projects/alpha/dead-letters');
        return res.json.length === 1 ? res.json : undefined;
      },
      30_000,
      'the dead letter',
    );
    expect(letters[0]).toMatchObject({ error_code: 'SECRET_UNREADABLE', attempts: 1 });
    expect(letters[0].error_message).toMatch(/^Not sent: the webhook's protected header values or secret cannot be decrypted by this worker \(.*it was written with key [0-9a-f]{16}, which is not in HOOKPOST_ENCRYPTION_KEY_FILE\); re-drive once/);
    await oldWorker.waitForLog((l) => l.msg === "not sent: the webhook's secrets cannot be decrypted", 30_000);

    // The API process without the key: no 500 anywhere in the project.
    const list = await notRolled.call('GET', '/v2.1/projects/alpha/webhooks');
    expect(list.status).toBe(200);
    expect(list.json.map((w: { name: string; secrets_unreadable?: boolean }) => [w.name, w.secrets_unreadable ?? false])).toEqual([
      ['guarded', true],
      ['plain', false],
    ]);
    const one = await notRolled.call('GET', '/v2.1/projects/alpha/webhooks/guarded');
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ name: 'guarded', secret: null, secrets_unreadable: true, headers: [{ key: 'Authorization', value: null, protected: true }] });
    const up42 = await notRolled.call('GET', '/workspaces/alpha/webhooks');
    expect(up42.status).toBe(200);
    const up42Guarded = up42.json.data.find((w: { name: string }) => w.name === 'guarded');
    expect(up42Guarded).toMatchObject({ secretsUnreadable: true });
    const put = await notRolled.call('PUT', `/workspaces/alpha/webhooks/${up42Guarded.id}`, {
      name: 'guarded',
      url: up42Guarded.url,
      events: up42Guarded.events,
      active: true,
      secret: null,
    });
    expect(put.status).toBe(409);
    expect(put.json).toEqual({ data: null, error: { code: 409, message: expect.stringContaining('webhook "guarded" cannot be changed here') } });
    const patched = await notRolled.call('PATCH', '/v2.1/projects/alpha/webhooks/guarded', { description: 'x' });
    expect(patched.status).toBe(409);
    expect(patched.json.error).toMatch(/^webhook "guarded" cannot be changed here: .*not in HOOKPOST_ENCRYPTION_KEY_FILE\. Give this process the encryption key/);
    expect((await notRolled.call('PATCH', '/v2.1/projects/alpha/webhooks/plain', { description: 'fine' })).status).toBe(200);
    expect(notRolled.api.logs.filter((l) => l.level === 50)).toEqual([]);
    // The rolled API reads it fully.
    expect((await rolled.call('GET', '/v2.1/projects/alpha/webhooks/guarded')).json).not.toHaveProperty('secrets_unreadable');

    // Fix the worker's key file (roll it), then re-drive: delivered with its header and secret.
    oldWorker.proc.kill('SIGTERM');
    expect(await oldWorker.exited).toBe(0);
    await startWorker(rotatedFile);
    const redriven = await rolled.call('POST', `/v2.1/projects/alpha/dead-letters/${letters[0].delivery_id}/redrive`);
    expect(redriven.status, redriven.text).toBe(202);
    const delivered = await eventually(() => receiver.requests.find((r) => r.path === '/guarded'), 60_000, 'the re-driven delivery');
    expect(delivered.headers.authorization).toBe(header);
    expect(delivered.headers['hookpost-delivery-id']).toBe(letters[0].delivery_id);
    expect((await verifyStandardWebhook({ headers: delivered.headers, body: delivered.body }, { secret })).ok).toBe(true);

    // DELETE always works, even where the secrets cannot be read.
    const deleted = await notRolled.call('DELETE', '/v2.1/projects/alpha/webhooks/guarded');
    expect(deleted.status).toBe(204);
    expect((await rolled.call('GET', '/v2.1/projects/alpha/webhooks/guarded')).status).toBe(404);
  }, 240_000);
});

describe('an undecryptable webhook, in process', () => {
  const scope = useTestScope();

  it('retry: true retries on the schedule, then a dead letter; a webhook test of it fails with the reason', async () => {
    const a = testEncryptionKey();
    const b = testEncryptionKey();
    const t = await scope.engine({}, { encryptionKeys: [a] });
    const receiver = await startReceiver();
    scope.defer(() => receiver.close());
    // Written by a process whose key file has b first; this worker has a only.
    const elsewhere = createRegistry({ redis: t.services.redis, keys: t.services.keys, cipher: createSecretsCipher([b, a]) });
    const base = { object_type: 'deployment', object_name: 'model', version: 'v1', event: 'deployment_request_completed' } as const;
    await elsewhere.create('alpha', { ...base, name: 'retried', url: `${receiver.url}/retried`, retry: true, secret: `s-${hex(8)}` });
    await t.createWebhook({ url: `${receiver.url}/other` }, 'alpha');

    const jobId = await t.publishSettled(requestEvent({ project: 'alpha' }));
    expect(await t.settled(jobId)).toBe('completed');
    await eventually(() => receiver.requests.some((r) => r.path === '/other'), 60_000, 'the other webhook delivered');
    // Three retries (100, 200, 300 ms), each not sent, then the dead letter.
    const letter = await eventually(async () => (await t.services.deadLetters.list('alpha'))[0], 60_000, 'the dead letter');
    expect(letter).toMatchObject({ errorCode: 'SECRET_UNREADABLE', attempts: 4 });
    expect(receiver.requests.filter((r) => r.path === '/retried')).toEqual([]);

    // A webhook test of it, queued through the API of this process: failed, saying why.
    const app = buildProcessApp(t.services);
    scope.defer(() => app.close());
    const run = await app.inject({
      method: 'POST',
      url: '/v2.1/projects/alpha/webhooks/retried/tests',
      headers: { authorization: 'Token test-token-0123456789' },
    });
    expect(run.statusCode, run.body).toBe(201);
    const testId = run.json()[0].id as string;
    const settled = await eventually(
      async () => {
        const res = await app.inject({ method: 'GET', url: `/v2.1/projects/alpha/webhooks-tests/${testId}`, headers: { authorization: 'Token test-token-0123456789' } });
        return res.json().status === 'pending' ? undefined : res.json();
      },
      30_000,
      'the webhook test to settle',
    );
    expect(settled).toMatchObject({ status: 'failed', error_message: expect.stringMatching(/^Not sent: the webhook's protected header values or secret cannot be decrypted/) });
    expect(receiver.requests.filter((r) => r.path === '/retried')).toEqual([]);
  });
});
