/**
 * Signing-key rotation (issue 12): several keys load in order, the first signs, all are published,
 * and `verify` accepts the published set, picking the key by the signature's keyid.
 */
import { type KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, type HookpostError } from '../../../src/errors.js';
import { createSigner, loadSigningKeys, publicKeyInfo, requestTarget } from '../../../src/signing/index.js';
import { type VerifyRequest, verify } from '../../../src/signing/verify.js';
import { vectors } from './vectors.js';

const dir = mkdtempSync(join(tmpdir(), 'hookpost-rotation-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pemOf = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();
const newKey = () => generateKeyPairSync('ed25519').privateKey;
function writeKey(name: string, contents: string): string {
  const path = join(dir, name);
  writeFileSync(path, contents, { mode: 0o600 });
  return path;
}
function thrown(fn: () => unknown): HookpostError {
  try {
    fn();
  } catch (err) {
    return err as HookpostError;
  }
  throw new Error('expected a throw');
}

const current = createPrivateKey(vectors.key.private_key_pem);
const next = newKey();
const stranger = newKey();
const infoOf = (key: KeyObject) => publicKeyInfo(key);

describe('loadSigningKeys', () => {
  it('loads every file in order', () => {
    const keys = loadSigningKeys([writeKey('current.pem', vectors.key.private_key_pem), writeKey('next.pem', pemOf(next))]);
    expect(keys.map((k) => infoOf(k).keyid)).toEqual([vectors.key.keyid, infoOf(next).keyid]);
  });

  it('names the file that fails, whichever position it has', () => {
    const good = writeKey('good.pem', pemOf(next));
    const missing = join(dir, 'missing.pem');
    const missingError = thrown(() => loadSigningKeys([good, missing]));
    expect(missingError.code).toBe(ErrorCode.SIGNING_KEY_MISSING);
    expect(missingError.message).toContain(missing);

    const publicOnly = writeKey('public-only.pem', vectors.key.public_key_pem);
    const publicError = thrown(() => loadSigningKeys([good, publicOnly]));
    expect(publicError.code).toBe(ErrorCode.SIGNING_KEY_PUBLIC);
    expect(publicError.message).toContain(publicOnly);
    expect(publicError.message).not.toContain(good);

    const garbage = writeKey('garbage.pem', 'not a key');
    const garbageError = thrown(() => loadSigningKeys([garbage, good]));
    expect(garbageError.code).toBe(ErrorCode.SIGNING_KEY_INVALID);
    expect(garbageError.message).toContain(garbage);
  });

  it('refuses the same key in two files, naming both', () => {
    const a = writeKey('same-a.pem', pemOf(next));
    const b = writeKey('same-b.pem', pemOf(next));
    const err = thrown(() => loadSigningKeys([a, b]));
    expect(err.code).toBe(ErrorCode.SIGNING_KEY_INVALID);
    expect(err.message).toContain(a);
    expect(err.message).toContain(b);
  });

  it('refuses an empty list', () => {
    expect(thrown(() => loadSigningKeys([])).code).toBe(ErrorCode.SIGNING_KEY_MISSING);
  });
});

describe('createSigner with several keys', () => {
  const signer = createSigner([current, next]);

  it('signs with the first key and publishes all, the first first', () => {
    expect(signer.keyid).toBe(vectors.key.keyid);
    expect(signer.publicKeyPem).toBe(vectors.key.public_key_pem);
    expect(signer.publicKeys).toEqual([infoOf(current), infoOf(next)]);
    const headers = signer.sign('POST', requestTarget('https://h.example/x'), Buffer.from('{}'));
    expect(headers['signature-input']).toContain(`keyid="${vectors.key.keyid}"`);
    expect(headers['signature-input']).not.toContain(infoOf(next).keyid);
  });

  it('signs exactly as a one-key signer of the first key does', () => {
    const options = { created: 1_767_225_600 };
    const target = requestTarget('https://h.example/x');
    expect(signer.sign('POST', target, Buffer.from('{}'), options)).toEqual(
      createSigner(current).sign('POST', target, Buffer.from('{}'), options),
    );
  });

  it('a single key is a set of one', () => {
    expect(createSigner(next).publicKeys).toEqual([infoOf(next)]);
  });

  it('refuses no key, the same key twice, and a public key among them', () => {
    expect(thrown(() => createSigner([])).code).toBe(ErrorCode.SIGNING_KEY_INVALID);
    expect(thrown(() => createSigner([current, next, createPrivateKey(pemOf(next))])).code).toBe(ErrorCode.SIGNING_KEY_INVALID);
    expect(thrown(() => createSigner([current, createPublicKey(next)])).code).toBe(ErrorCode.SIGNING_KEY_PUBLIC);
  });
});

const CREATED = 1_767_225_600;
const now = () => (CREATED + 10) * 1000;

function signedBy(key: KeyObject): VerifyRequest {
  const target = requestTarget('https://hooks.example.com/in');
  const headers = createSigner(key).sign('POST', target, Buffer.from('{"a":1}'), { created: CREATED });
  return { method: 'POST', url: target.targetUri, headers: { host: target.authority, ...headers }, body: '{"a":1}' };
}

describe('verify with a set of keys', () => {
  const published = [infoOf(current), infoOf(next)];

  it('accepts a delivery signed by any key of the set, in any order, and says which', async () => {
    for (const keys of [published, [...published].reverse()]) {
      expect(await verify(signedBy(current), { publicKeys: keys, now })).toMatchObject({ ok: true, keyid: infoOf(current).keyid });
      expect(await verify(signedBy(next), { publicKeys: keys, now })).toMatchObject({ ok: true, keyid: infoOf(next).keyid });
    }
  });

  it('takes PEM strings and raw bytes as well as /v2.1/signing-keys entries', async () => {
    const pems = published.map((k) => k.public_key_pem);
    expect((await verify(signedBy(next), { publicKeys: pems, now })).ok).toBe(true);
    const raw = Buffer.from(vectors.key.public_key_raw_base64, 'base64');
    expect((await verify(signedBy(current), { publicKeys: [pems[1] as string, raw], now })).ok).toBe(true);
  });

  it('rejects a keyid that is none of the set', async () => {
    const result = await verify(signedBy(stranger), { publicKeys: published, now });
    expect(result).toMatchObject({ ok: false, reason: 'keyid_mismatch' });
    expect(result.ok === false && result.message).toContain('none of the 2 configured keys');
  });

  it('picks the key by keyid and still checks the signature: a stranger cannot claim a known keyid', async () => {
    const forged = signedBy(stranger);
    const headers = forged.headers as Record<string, string>;
    headers['signature-input'] = (headers['signature-input'] as string).replace(infoOf(stranger).keyid, infoOf(next).keyid);
    expect(await verify(forged, { publicKeys: published, now })).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('a keyid supplied beside a PEM is not trusted: the keyid is computed from the key', async () => {
    const lying = [{ alg: 'ed25519', keyid: infoOf(stranger).keyid, public_key_pem: infoOf(next).public_key_pem }];
    expect(await verify(signedBy(stranger), { publicKeys: lying, now })).toMatchObject({ ok: false, reason: 'keyid_mismatch' });
  });

  it('throws on configuration errors: no key, both options, a bad entry', async () => {
    const request = signedBy(current);
    await expect(verify(request, { publicKeys: [], now })).rejects.toThrow(TypeError);
    await expect(
      verify(request, { publicKey: published[0] as never, publicKeys: published, now } as never),
    ).rejects.toThrow(TypeError);
    await expect(verify(request, { publicKeys: [published[0]!, 'not a key'], now })).rejects.toThrow(TypeError);
  });
});
