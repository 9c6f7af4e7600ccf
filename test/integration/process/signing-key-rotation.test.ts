/**
 * Signing-key rotation in a real process (README "Rotating the signing key"): with two key files the
 * first signs, /v2.1/signing-keys publishes both, and a receiver that trusts the published set keeps
 * verifying when the order is swapped. A key file readable by other users is one warning line.
 */
import { type KeyObject, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createProducer } from '../../../src/events/index.js';
import { type PublicKeyInfo, createSigner } from '../../../src/signing/index.js';
import { type VerifyResult, verify } from '../../../src/signing/verify.js';
import { requestEvent } from '../../helpers/engine.js';
import { type Receiver, freePort, startReceiver, uniquePrefix } from '../../helpers/index.js';
import { type ChildWorker, spawnWorker } from '../../helpers/processes.js';
import type { RecordedRequest } from '../../helpers/receiver.js';

const TOKEN = 'rotation-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'hookpost-rotation-'));

function writeKey(name: string, key: KeyObject, mode: number): string {
  const path = join(dir, name);
  writeFileSync(path, key.export({ type: 'pkcs8', format: 'pem' }));
  chmodSync(path, mode);
  return path;
}

const oldKey = generateKeyPairSync('ed25519').privateKey;
const newKey = generateKeyPairSync('ed25519').privateKey;
const [oldInfo, newInfo] = createSigner([oldKey, newKey]).publicKeys as readonly [PublicKeyInfo, PublicKeyInfo];
const oldPath = writeKey('old.pem', oldKey, 0o600);
// Readable by everyone: the process must warn about this one, and only this one.
const newPath = writeKey('new.pem', newKey, 0o644);

interface PublishedKeys {
  current_keyid: string;
  keys: Array<{ alg: string; keyid: string; public_key_pem: string }>;
}

const verifyWith = (request: RecordedRequest, publicKeys: readonly { public_key_pem: string }[]): Promise<VerifyResult> =>
  verify(
    { method: request.method, url: `http://${request.headers.host}${request.path}`, headers: request.headers, body: new Uint8Array(request.body) },
    { publicKeys },
  );

describe('signing-key rotation (local process)', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const start = async (keyFiles: string, prefix: string): Promise<{ proc: ChildWorker; base: string }> => {
    const port = await freePort();
    const proc = spawnWorker('local', {
      HOOKPOST_REDIS_URL: inject('redisUrl'),
      HOOKPOST_PREFIX: prefix,
      HOOKPOST_API_TOKENS: TOKEN,
      HOOKPOST_API_HOST: '127.0.0.1',
      HOOKPOST_API_PORT: String(port),
      HOOKPOST_SIGNING_KEY_FILE: keyFiles,
      HOOKPOST_DATA_DIR: mkdtempSync(join(tmpdir(), 'hookpost-local-')),
    });
    cleanups.push(async () => {
      if (proc.proc.exitCode === null) {
        proc.proc.kill('SIGTERM');
        await proc.exited;
      }
    });
    await proc.waitForLog((l) => l.msg === 'engine started');
    return { proc, base: `http://127.0.0.1:${port}` };
  };

  const deliverOne = async (prefix: string, receiver: Receiver, requestId: string) => {
    const producer = createProducer({ redis: inject('redisUrl'), prefix });
    try {
      await producer.publish(requestEvent({ request_id: requestId }));
    } finally {
      await producer.close();
    }
    await receiver.waitForRequests(receiver.requests.length + 1);
    return receiver.requests.at(-1) as RecordedRequest;
  };

  it('signs with the first key, publishes both, and keeps verifying across the swap', async () => {
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const prefix = uniquePrefix('rot');

    // Step 1: the next key is added as second. The old key still signs; both are published.
    const first = await start(`${oldPath},${newPath}`, prefix);
    const published = (await (await fetch(`${first.base}/v2.1/signing-keys`)).json()) as PublishedKeys;
    expect(published.current_keyid).toBe(oldInfo.keyid);
    expect(published.keys.map((k) => k.keyid)).toEqual([oldInfo.keyid, newInfo.keyid]);
    expect(published.keys.map((k) => k.public_key_pem)).toEqual([oldInfo.public_key_pem, newInfo.public_key_pem]);
    expect(((await (await fetch(`${first.base}/v2.1/signing-key`)).json()) as { keyid: string }).keyid).toBe(oldInfo.keyid);

    // One warning, for the world-readable file only.
    const warnings = first.proc.logs.filter((l) => typeof l.msg === 'string' && l.msg.includes('chmod 600'));
    expect(warnings).toEqual([
      expect.objectContaining({ level: 40, file: newPath, mode: '0644', readableBy: 'group and others', fix: `chmod 600 ${newPath}` }),
    ]);

    const created = await fetch(`${first.base}/v2.1/projects/demo/webhooks`, {
      method: 'POST',
      headers: { authorization: `Token ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'hook',
        url: `${receiver.url}/hook`,
        object_type: 'deployment',
        object_name: 'model',
        version: 'v1',
        event: 'deployment_request_completed',
      }),
    });
    expect(created.status).toBe(201);

    const before = await deliverOne(prefix, receiver, 'before-swap');
    expect(await verifyWith(before, published.keys)).toMatchObject({ ok: true, keyid: oldInfo.keyid });
    // Signed by the first key only: the second alone does not verify it.
    expect(await verifyWith(before, [newInfo])).toMatchObject({ ok: false, reason: 'keyid_mismatch' });

    first.proc.proc.kill('SIGTERM');
    expect(await first.proc.exited).toBe(0);

    // Step 2: the order is swapped. The new key signs; receivers that fetched the set in step 1 verify.
    const second = await start(`${newPath},${oldPath}`, prefix);
    const after = await deliverOne(prefix, receiver, 'after-swap');
    expect(await verifyWith(after, published.keys)).toMatchObject({ ok: true, keyid: newInfo.keyid });
    const republished = (await (await fetch(`${second.base}/v2.1/signing-keys`)).json()) as PublishedKeys;
    expect(republished.current_keyid).toBe(newInfo.keyid);
    expect(republished.keys.map((k) => k.keyid)).toEqual([newInfo.keyid, oldInfo.keyid]);
  }, 60_000);

  it('a bad second key file stops the process with one line naming that file', async () => {
    const broken = join(dir, 'broken.pem');
    writeFileSync(broken, 'not a key', { mode: 0o600 });
    const proc = spawnWorker('worker', {
      HOOKPOST_REDIS_URL: inject('redisUrl'),
      HOOKPOST_SIGNING_KEY_FILE: `${oldPath},${broken}`,
      HOOKPOST_METRICS_PORT: String(await freePort()),
    });
    expect(await proc.exited).toBe(1);
    expect(proc.stderr()).toContain(broken);
    expect(proc.stderr()).toContain('HOOKPOST_ERR_SIGNING_KEY_INVALID');
    expect(proc.stderr().trim().split('\n')).toHaveLength(1);
  });

  it('an encryption key file readable by others gives one startup warning naming it', async () => {
    const exposed = join(dir, 'encryption-key');
    writeFileSync(exposed, `${randomBytes(32).toString('base64')}\n`, { mode: 0o644 });
    chmodSync(exposed, 0o644);
    const proc = spawnWorker('worker', {
      HOOKPOST_REDIS_URL: inject('redisUrl'),
      HOOKPOST_PREFIX: uniquePrefix('enc'),
      HOOKPOST_SIGNING_KEY_FILE: oldPath,
      HOOKPOST_ENCRYPTION_KEY_FILE: exposed,
      HOOKPOST_METRICS_PORT: String(await freePort()),
      HOOKPOST_API_HOST: '127.0.0.1',
    });
    cleanups.push(() => proc.proc.exitCode === null && proc.proc.kill('SIGKILL'));
    const warning = await proc.waitForLog((l) => l.msg === 'encryption key file is readable by other users: chmod 600 it');
    expect(warning).toMatchObject({ level: 40, file: exposed, fix: `chmod 600 ${exposed}` });
    await proc.waitForLog((l) => l.msg === 'engine started');
    expect(proc.logs.filter((l) => String(l.msg).includes('chmod 600'))).toHaveLength(1);
    proc.proc.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  });
});
