import { createPublicKey, generateKeyPairSync, sign, verify as verifyBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, type HookpostError } from '../../../src/errors.js';
import { loadOrCreateLocalKey, loadSigningKey, publicKeyInfo } from '../../../src/signing/index.js';
import { vectors } from './vectors.js';

const dir = mkdtempSync(join(tmpdir(), 'hookpost-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeKey(name: string, contents: string): string {
  const path = join(dir, name);
  writeFileSync(path, contents, { mode: 0o600 });
  return path;
}

function loadError(path: string): HookpostError {
  try {
    loadSigningKey(path);
  } catch (err) {
    return err as HookpostError;
  }
  throw new Error(`loadSigningKey(${path}) did not throw`);
}

describe('loadSigningKey', () => {
  it('loads a PEM PKCS#8 Ed25519 private key', () => {
    const key = loadSigningKey(writeKey('ok.pem', vectors.key.private_key_pem));
    expect(key.type).toBe('private');
    expect(key.asymmetricKeyType).toBe('ed25519');
    expect(publicKeyInfo(key).keyid).toBe(vectors.key.keyid);
  });

  it('reports a missing file', () => {
    const path = join(dir, 'nope.pem');
    const err = loadError(path);
    expect(err.code).toBe(ErrorCode.SIGNING_KEY_MISSING);
    expect(err.message).toContain(path);
    expect(err.message).toContain('openssl genpkey -algorithm ed25519');
  });

  it('reports an unreadable path (a directory)', () => {
    const path = join(dir, 'a-directory');
    mkdirSync(path);
    const err = loadError(path);
    expect(err.code).toBe(ErrorCode.SIGNING_KEY_UNREADABLE);
    expect(err.message).toContain(path);
    expect(err.message).toContain('EISDIR');
  });

  it('reports a public key', () => {
    const err = loadError(writeKey('public.pem', vectors.key.public_key_pem));
    expect(err.code).toBe(ErrorCode.SIGNING_KEY_PUBLIC);
    expect(err.message).toContain(join(dir, 'public.pem'));
    expect(err.message).toContain('private key');
  });

  it('reports an RSA private key, naming the type', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const path = writeKey('rsa.pem', privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const err = loadError(path);
    expect(err.code).toBe(ErrorCode.SIGNING_KEY_WRONG_TYPE);
    expect(err.message).toContain('RSA');
    expect(err.message).toContain(path);
  });

  it('reports an EC private key in SEC1 form, naming the curve', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const path = writeKey('ec.pem', privateKey.export({ type: 'sec1', format: 'pem' }).toString());
    const err = loadError(path);
    expect(err.code).toBe(ErrorCode.SIGNING_KEY_WRONG_TYPE);
    expect(err.message).toMatch(/EC \(prime256v1\)/);
  });

  it.each([
    ['empty', ''],
    ['garbage', 'this is not a key\n'],
    ['a truncated PEM', '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2Vw\n-----END PRIVATE KEY-----\n'],
    ['an OpenSSH key', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n'],
  ])('reports %s as invalid', (name, contents) => {
    const path = writeKey(`${name.replace(/\W+/g, '-')}.pem`, contents);
    const err = loadError(path);
    expect(err.code).toBe(ErrorCode.SIGNING_KEY_INVALID);
    expect(err.message).toContain(path);
    expect(err.message).toContain('openssl genpkey -algorithm ed25519');
  });

  it('never puts key material in messages', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const err = loadError(writeKey('rsa2.pem', pem));
    const body = pem.split('\n')[1]!;
    expect(err.message).not.toContain(body.slice(0, 20));
  });
});

describe('loadOrCreateLocalKey', () => {
  it('generates a key (mode 0600, directory created) and reuses it next time', () => {
    const dataDir = join(dir, 'data', 'nested');
    const first = loadOrCreateLocalKey(dataDir);
    expect(first.created).toBe(true);
    expect(first.path).toBe(join(dataDir, 'signing-key.pem'));
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    expect(readFileSync(first.path, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);

    const second = loadOrCreateLocalKey(dataDir);
    expect(second.created).toBe(false);
    expect(publicKeyInfo(second.key).keyid).toBe(publicKeyInfo(first.key).keyid);

    // The reloaded key signs what the generated key's public half verifies.
    const data = Buffer.from('hello');
    expect(verifyBytes(null, data, first.key, sign(null, data, second.key))).toBe(true);
  });

  it('refuses to replace an existing file that is not a valid key', () => {
    const dataDir = join(dir, 'broken');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'signing-key.pem'), 'garbage');
    expect(() => loadOrCreateLocalKey(dataDir)).toThrow(expect.objectContaining({ code: ErrorCode.SIGNING_KEY_INVALID }));
    expect(readFileSync(join(dataDir, 'signing-key.pem'), 'utf8')).toBe('garbage');
  });

  it('reports a data directory it cannot create', () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, '');
    chmodSync(blocker, 0o600);
    expect(() => loadOrCreateLocalKey(join(blocker, 'sub'))).toThrow(
      expect.objectContaining({ code: ErrorCode.SIGNING_KEY_UNREADABLE }),
    );
  });
});

describe('publicKeyInfo', () => {
  it('gives alg, keyid and SPKI PEM, from the private or the public key', () => {
    const key = loadSigningKey(writeKey('ok2.pem', vectors.key.private_key_pem));
    const expected = { alg: 'ed25519', keyid: vectors.key.keyid, public_key_pem: vectors.key.public_key_pem };
    expect(publicKeyInfo(key)).toEqual(expected);
    expect(publicKeyInfo(createPublicKey(vectors.key.public_key_pem))).toEqual(expected);
  });

  it('refuses other key types', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => publicKeyInfo(publicKey)).toThrow(expect.objectContaining({ code: ErrorCode.SIGNING_KEY_WRONG_TYPE }));
  });
});
