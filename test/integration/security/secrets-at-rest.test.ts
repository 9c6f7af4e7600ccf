/**
 * Secrets at rest (issue 12, point 2): protected header values and webhook secrets written through
 * both API surfaces are nowhere in Redis in plaintext; key rotation and re-encryption; tampered or
 * copied values fail loudly; plaintext records of earlier versions still read and get encrypted.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.js';
import { buildProcessApp } from '../../../src/lifecycle/run.js';
import { createKeys } from '../../../src/redis/index.js';
import {
  createRegistry,
  createSecretsCipher,
  createWebhookTestStore,
  reencryptWebhookTests,
  reencryptWebhooks,
} from '../../../src/registry/index.js';
import { startTestEngine, testEncryptionKey, useTestScope } from '../../helpers/engine.js';
import { type RedisServer, startRedisServer, uniquePrefix } from '../../helpers/index.js';
import { dumpRedis, found } from './redis-dump.js';
import { TEST_TOKEN } from '../../helpers/token.js';

const TOKEN = TEST_TOKEN;
const unique = (label: string) => `${label}-${randomBytes(12).toString('hex')}`;

let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url);
});
afterAll(async () => {
  await redis.quit();
  await server.stop();
});

describe('secrets at rest', () => {
  const scope = useTestScope();

  it('stores protected header values and secrets of both surfaces, and webhook tests, encrypted only', async () => {
    const t = await startTestEngine(server.url);
    scope.defer(() => t.close());
    const app = buildProcessApp(t.services);
    scope.defer(() => app.close());
    const auth = { authorization: `Token ${TOKEN}` };
    const header = unique('header-value');
    const secret = unique('ubiops-secret');
    const up42Secret = `whsec_${randomBytes(24).toString('base64')}`;
    const rotated = unique('rotated-secret');
    const testHeader = unique('test-header');
    const plainHeader = unique('visible-header');

    const created = await app.inject({
      method: 'POST',
      url: '/v2.1/projects/alpha/webhooks',
      headers: auth,
      payload: {
        name: 'one',
        url: 'https://receiver.example/one',
        object_type: 'deployment',
        object_name: 'model',
        event: 'deployment_request_completed',
        headers: [
          { key: 'Authorization', value: header, protected: true },
          { key: 'X-Plain', value: plainHeader, protected: false },
        ],
        secret,
      },
    });
    expect(created.statusCode).toBe(201);
    // Rotate: the replaced secret stays (as previous) for the overlap, encrypted too.
    const patched = await app.inject({
      method: 'PATCH',
      url: '/v2.1/projects/alpha/webhooks/one',
      headers: auth,
      payload: { secret: rotated },
    });
    expect(patched.statusCode).toBe(200);
    const up42 = await app.inject({
      method: 'POST',
      url: '/workspaces/alpha/webhooks',
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: { name: 'Up42 hook', url: 'https://receiver.example/up42', events: ['deployment_request_failed'], secret: up42Secret },
    });
    expect(up42.statusCode).toBe(201);
    // A pending ad-hoc test keeps its header values until it settles (not queued here, so it stays).
    const test = await t.services.webhookTests.create('alpha', {
      url: 'https://receiver.example/test',
      object_type: 'deployment',
      object_name: 'model',
      event: 'deployment_request_completed',
      headers: [{ key: 'X-Key', value: testHeader, protected: true }],
    });

    const dump = await dumpRedis(redis);
    expect(dump).toContain(t.services.keys.webhook('alpha', created.json().id));
    expect(dump).toContain(plainHeader); // the check can see what is stored in the clear
    expect(found(dump, [header, secret, rotated, up42Secret, testHeader])).toEqual([]);
    expect(dump).toContain(`enc:v1:${t.services.cipher.currentKeyId}:`);

    // Every reader gets plaintext.
    const stored = await t.services.registry.getById('alpha', created.json().id);
    expect(stored?.headers[0]?.value).toBe(header);
    expect(stored?.secret).toMatchObject({ current: rotated, previous: secret });
    const up42Stored = await t.services.registry.getById('alpha', up42.json().data.id);
    expect(up42Stored?.secret?.current).toBe(up42Secret);
    expect((await t.services.webhookTests.getConfig('alpha', test.id))?.headers[0]?.value).toBe(testHeader);
    const matched = await t.services.registry.findCandidates('alpha', 'deployment', 'model', ['deployment_request_completed']);
    expect(matched.map((w) => w.headers[0]?.value)).toEqual([header]);
  });

  it('rotates keys: values under key A read with B first, re-encryption moves them to B, then A can go', async () => {
    const keys = createKeys(uniquePrefix('rot'));
    const a = testEncryptionKey();
    const b = testEncryptionKey();
    const header = unique('header');
    const secret = unique('secret');
    const onA = createRegistry({ redis, keys, cipher: createSecretsCipher([a]) });
    const hooks = await Promise.all(
      ['w1', 'w2', 'w3'].map((name) =>
        onA.create('p', {
          name,
          url: 'https://receiver.example/',
          object_type: 'deployment',
          object_name: 'model',
          event: 'deployment_request_completed',
          headers: [{ key: 'Authorization', value: `${header}-${name}`, protected: true }],
          secret: `${secret}-${name}`,
        }),
      ),
    );
    const testsOnA = createWebhookTestStore({ redis, keys, cipher: createSecretsCipher([a]) });
    const test = await testsOnA.create('p', {
      url: 'https://receiver.example/',
      object_type: 'deployment',
      object_name: 'model',
      event: 'deployment_request_completed',
      headers: [{ key: 'X-Key', value: header, protected: false }],
    });

    const bFirst = createSecretsCipher([b, a]);
    const rotated = createRegistry({ redis, keys, cipher: bFirst });
    expect((await rotated.getById('p', hooks[0]!.id))?.secret?.current).toBe(`${secret}-w1`);
    // A change writes with B at once.
    await rotated.updateById('p', hooks[0]!.id, { description: 'touched' });
    expect(await redis.get(keys.webhook('p', hooks[0]!.id))).toContain(`enc:v1:${b.id}:`);

    const first = await reencryptWebhooks({ redis, keys, cipher: bFirst });
    expect(first).toEqual({ scanned: 3, rewritten: 2, current: 1, unreadable: 0 });
    expect(await reencryptWebhookTests({ redis, keys, cipher: bFirst })).toEqual({ scanned: 1, rewritten: 1, current: 0, unreadable: 0 });
    // Idempotent.
    expect(await reencryptWebhooks({ redis, keys, cipher: bFirst })).toEqual({ scanned: 3, rewritten: 0, current: 3, unreadable: 0 });
    expect(await reencryptWebhookTests({ redis, keys, cipher: bFirst })).toMatchObject({ rewritten: 0, current: 1 });

    const dump = await dumpRedis(redis);
    expect(dump).not.toContain(`enc:v1:${a.id}:`);
    const onlyB = createRegistry({ redis, keys, cipher: createSecretsCipher([b]) });
    for (const hook of hooks) {
      const read = await onlyB.getById('p', hook.id);
      expect(read?.headers[0]?.value).toBe(`${header}-${hook.name}`);
      expect(read?.secret?.current).toBe(`${secret}-${hook.name}`);
    }
    const testsOnB = createWebhookTestStore({ redis, keys, cipher: createSecretsCipher([b]) });
    expect((await testsOnB.getConfig('p', test.id))?.headers[0]?.value).toBe(header);
    // Key A alone can no longer read them: marked with the reason, never ciphertext or a guess.
    expect(await onA.getById('p', hooks[1]!.id)).toMatchObject({
      headers: [{ key: 'Authorization', value: '', protected: true }],
      secret: null,
      secretsUnreadable: expect.stringContaining(`it was written with key ${b.id}, which is not in HOOKPOST_ENCRYPTION_KEY_FILE`),
    });
    await expect(onA.updateById('p', hooks[1]!.id, { description: 'x' })).rejects.toMatchObject({ code: ErrorCode.SECRET_UNREADABLE });
    // A re-encryption with a key missing reports the record as unreadable and leaves it.
    expect(await reencryptWebhooks({ redis, keys, cipher: createSecretsCipher([a]) })).toMatchObject({ unreadable: 3, rewritten: 0 });
  });

  it('fails loudly on a tampered value or a value copied to another webhook', async () => {
    const keys = createKeys(uniquePrefix('tamper'));
    const registry = createRegistry({ redis, keys, cipher: createSecretsCipher([testEncryptionKey()]) });
    const base = {
      url: 'https://receiver.example/',
      object_type: 'deployment',
      object_name: 'model',
      event: 'deployment_request_completed',
    } as const;
    const one = await registry.create('p', { ...base, name: 'one', headers: [{ key: 'A', value: unique('v'), protected: true }] });
    const two = await registry.create('p', { ...base, name: 'two', headers: [{ key: 'A', value: unique('v'), protected: true }] });
    const recordOf = async (id: string) => JSON.parse((await redis.get(keys.webhook('p', id))) ?? 'null');

    // Copy one's encrypted value into two's record: two's id is the associated data, so it fails.
    const copied = await recordOf(two.id);
    copied.headers[0].value = (await recordOf(one.id)).headers[0].value;
    await redis.set(keys.webhook('p', two.id), JSON.stringify(copied));
    expect(await registry.getById('p', two.id)).toMatchObject({
      headers: [{ value: '' }],
      secretsUnreadable: expect.stringContaining('authentication failed'),
    });
    // One such record does not stop a list: it is there, marked; the other one reads in full.
    const listed = await registry.list('p');
    expect(listed.map((w) => [w.name, w.secretsUnreadable === undefined])).toEqual([
      ['one', true],
      ['two', false],
    ]);
    expect(listed[0]?.headers[0]?.value).toBe(await registry.getById('p', one.id).then((w) => w?.headers[0]?.value));

    // Flip one bit of one's ciphertext.
    const tampered = await recordOf(one.id);
    const [prefix, version, keyId, body] = tampered.headers[0].value.split(':');
    const bytes = Buffer.from(body, 'base64');
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 0x01;
    tampered.headers[0].value = [prefix, version, keyId, bytes.toString('base64')].join(':');
    await redis.set(keys.webhook('p', one.id), JSON.stringify(tampered));
    expect((await registry.getById('p', one.id))?.secretsUnreadable).toContain('authentication failed');
    // A delete still works without reading the secrets.
    expect(await registry.removeById('p', one.id)).toBe(true);
  });

  it('reads plaintext records of earlier versions and encrypts them on their next change or by re-encryption', async () => {
    const keys = createKeys(uniquePrefix('legacy'));
    const header = unique('legacy-header');
    const secret = unique('legacy-secret');
    const legacy = createRegistry({ redis, keys }); // no cipher: what an earlier version wrote
    const base = {
      url: 'https://receiver.example/',
      object_type: 'deployment',
      object_name: 'model',
      event: 'deployment_request_completed',
      headers: [{ key: 'Authorization', value: header, protected: true }],
      secret,
    } as const;
    const one = await legacy.create('p', { ...base, name: 'one' });
    await legacy.create('p', { ...base, name: 'two' });
    expect(await redis.get(keys.webhook('p', one.id))).toContain(header);

    const cipher = createSecretsCipher([testEncryptionKey()]);
    const registry = createRegistry({ redis, keys, cipher });
    expect((await registry.get('p', 'one'))?.headers[0]?.value).toBe(header);
    await registry.update('p', 'one', { description: 'changed' });
    expect(await redis.get(keys.webhook('p', one.id))).not.toContain(header);
    expect(await reencryptWebhooks({ redis, keys, cipher })).toEqual({ scanned: 2, rewritten: 1, current: 1, unreadable: 0 });
    expect(found(await dumpRedis(redis), [header, secret])).toEqual([]);
    expect((await registry.get('p', 'two'))?.secret?.current).toBe(secret);
    // Without a key, an encrypted record reads marked, never as ciphertext.
    const withoutKey = await legacy.get('p', 'two');
    expect(withoutKey?.secretsUnreadable).toContain('no encryption key is configured');
    expect(JSON.stringify(withoutKey)).not.toContain('enc:v1:');
  });

  it('deletes a webhook test\'s stored header values as soon as it settles', async () => {
    const keys = createKeys(uniquePrefix('settle'));
    const tests = createWebhookTestStore({ redis, keys, cipher: createSecretsCipher([testEncryptionKey()]) });
    const created = await tests.create('p', {
      url: 'https://receiver.example/',
      object_type: 'deployment',
      object_name: 'model',
      event: 'deployment_request_completed',
      headers: [{ key: 'X-Key', value: unique('v'), protected: true }],
    });
    expect(await redis.hexists(keys.webhookTest('p', created.id), 'config')).toBe(1);
    expect(await tests.finish('p', created.id, 'failed', 'HTTP 500')).toBe(true);
    expect(await redis.hgetall(keys.webhookTest('p', created.id))).toEqual({ status: 'failed', error_message: 'HTTP 500' });
    expect(await tests.get('p', created.id)).toEqual({ id: created.id, status: 'failed', error_message: 'HTTP 500' });
    expect(await redis.ttl(keys.webhookTest('p', created.id))).toBeGreaterThan(0);
  });
});
