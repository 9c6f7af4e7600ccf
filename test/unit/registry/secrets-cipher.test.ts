import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.js';
import {
  createSecretsCipher,
  encryptionKeyId,
  loadEncryptionKeys,
  loadOrCreateLocalEncryptionKeys,
  parseEncryptionKeys,
} from '../../../src/registry/secrets-cipher.js';

const keyOf = (key = randomBytes(32)) => ({ id: encryptionKeyId(key), key });
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return { code: (err as { code?: string }).code, message: (err as Error).message };
  }
  throw new Error('expected a throw');
};

describe('secrets cipher (AES-256-GCM envelopes)', () => {
  const a = keyOf();
  const b = keyOf();

  it('writes enc:v1:<key id>:<base64 nonce|ciphertext|tag>, a fresh nonce each time, and reads it back', () => {
    const cipher = createSecretsCipher([a]);
    const one = cipher.encrypt('Bearer s3cret', 'webhook:1');
    const two = cipher.encrypt('Bearer s3cret', 'webhook:1');
    expect(one).toMatch(new RegExp(`^enc:v1:${a.id}:[A-Za-z0-9+/]+=*$`));
    expect(one).not.toBe(two);
    expect(Buffer.from(one.split(':')[3] ?? '', 'base64')).toHaveLength(12 + 'Bearer s3cret'.length + 16);
    expect(one).not.toContain('s3cret');
    expect(cipher.decrypt(one, 'webhook:1')).toBe('Bearer s3cret');
    expect(cipher.isCurrent(one)).toBe(true);
  });

  it('reads values without the enc: prefix as plaintext (records of earlier versions)', () => {
    const cipher = createSecretsCipher([a]);
    expect(cipher.decrypt('plain value', 'webhook:1')).toBe('plain value');
    expect(cipher.isCurrent('plain value')).toBe(false);
  });

  it('writes with the first key and reads with any configured one', () => {
    const old = createSecretsCipher([a]).encrypt('v', 'webhook:1');
    const rotated = createSecretsCipher([b, a]);
    expect(rotated.decrypt(old, 'webhook:1')).toBe('v');
    expect(rotated.isCurrent(old)).toBe(false);
    expect(rotated.encrypt('v', 'webhook:1')).toContain(`enc:v1:${b.id}:`);
  });

  it('fails loudly on an unknown key, a tampered value, another record, or a malformed envelope', () => {
    const cipher = createSecretsCipher([a]);
    const sealed = cipher.encrypt('value', 'webhook:1');
    expect(codeOf(() => createSecretsCipher([b]).decrypt(sealed, 'webhook:1'))).toMatchObject({
      code: ErrorCode.SECRET_UNREADABLE,
      message: expect.stringContaining(`key ${a.id}, which is not in HOOKPOST_ENCRYPTION_KEY_FILE`),
    });
    expect(codeOf(() => cipher.decrypt(sealed, 'webhook:2')).code).toBe(ErrorCode.SECRET_UNREADABLE);
    const bytes = Buffer.from(sealed.split(':')[3] ?? '', 'base64');
    bytes[14] = (bytes[14] ?? 0) ^ 1;
    const tampered = `enc:v1:${a.id}:${bytes.toString('base64')}`;
    expect(codeOf(() => cipher.decrypt(tampered, 'webhook:1')).message).toContain('authentication failed');
    expect(codeOf(() => cipher.decrypt('enc:v2:whatever', 'webhook:1')).code).toBe(ErrorCode.SECRET_UNREADABLE);
    expect(codeOf(() => cipher.decrypt(`enc:v1:${a.id}:AAAA`, 'webhook:1')).message).toContain('truncated');
  });

  it('parses key files: base64 or hex lines, comments, first is current; errors name the line only', () => {
    const hex = randomBytes(32);
    const b64 = randomBytes(32);
    const keys = parseEncryptionKeys(`# current\n${b64.toString('base64')}\n\n${hex.toString('hex')}\n`, 'f');
    expect(keys.map((k) => k.id)).toEqual([encryptionKeyId(b64), encryptionKeyId(hex)]);
    const secret = randomBytes(16).toString('base64');
    const bad = codeOf(() => parseEncryptionKeys(`${b64.toString('base64')}\n${secret}\n`, 'f'));
    expect(bad).toMatchObject({ code: ErrorCode.ENCRYPTION_KEY_INVALID, message: expect.stringContaining('f line 2') });
    expect(bad.message).not.toContain(secret);
    expect(codeOf(() => parseEncryptionKeys('# nothing\n', 'f')).message).toContain('holds no key');
    expect(codeOf(() => loadEncryptionKeys('/nonexistent/key')).message).toContain('HOOKPOST_ENCRYPTION_KEY_FILE');
  });

  it('local mode generates a key file with mode 0600 once and reuses it', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'hookpost-enc-')), 'data');
    const first = loadOrCreateLocalEncryptionKeys(dir);
    expect(first.created).toBe(true);
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    const again = loadOrCreateLocalEncryptionKeys(dir);
    expect(again.created).toBe(false);
    expect(again.keys[0]?.id).toBe(first.keys[0]?.id);
    writeFileSync(first.path, 'not a key\n');
    expect(codeOf(() => loadOrCreateLocalEncryptionKeys(dir)).code).toBe(ErrorCode.ENCRYPTION_KEY_INVALID);
    expect(readFileSync(first.path, 'utf8')).toBe('not a key\n');
  });
});
