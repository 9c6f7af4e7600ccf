/**
 * Secrets at rest: protected header values and webhook secrets are stored as
 * `enc:v1:<key id>:<base64 of nonce ‖ ciphertext ‖ tag>`, AES-256-GCM (NIST SP 800-38D) with a
 * random 96-bit nonce per value and the owning record's identity (a webhook's or webhook test's id)
 * as associated data, so a value copied into another record does not decrypt there.
 *
 * Several keys may be loaded: values are written with the first (the current key), read with the
 * one the envelope names. A value without the `enc:` prefix is a plaintext record of an earlier
 * version and reads as is; it is encrypted on its next write (or by `scripts/reencrypt.ts`).
 * Every failure to decrypt throws SECRET_UNREADABLE: never a silent fallback to the stored text.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, HookpostError } from '../errors.js';

/** Bytes of an encryption key (AES-256). */
export const ENCRYPTION_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const PREFIX = 'enc:';
const VERSION = 'v1';
const ENVELOPE_RE = /^enc:v1:([0-9a-f]{16}):([A-Za-z0-9+/]+={0,2})$/;

/** File name of local mode's generated key inside HOOKPOST_DATA_DIR. */
export const LOCAL_ENCRYPTION_KEY_FILE_NAME = 'encryption-key';

const GENERATE_HINT = 'generate one with `(umask 077 && openssl rand -base64 32 > encryption-key)`';

/** One loaded key: its id (derived from the key, so files can be renamed freely) and bytes. */
export interface EncryptionKey {
  /** 16 hex characters of SHA-256 over a label and the key: safe to show, names the key in envelopes. */
  readonly id: string;
  readonly key: Buffer;
}

export interface SecretsCipher {
  /** The id of the key new values are written with. */
  readonly currentKeyId: string;
  /** Encrypts `plaintext` bound to `context` (the owning record, e.g. `webhook:<id>`). */
  encrypt(plaintext: string, context: string): string;
  /**
   * The plaintext of a stored value: decrypted when it is an envelope, as is when it has no `enc:`
   * prefix (a record from before encryption).
   * @throws HookpostError SECRET_UNREADABLE (unknown key id, tampered, other record, malformed)
   */
  decrypt(stored: string, context: string): string;
  /** True when `stored` is an envelope under the current key (nothing to re-encrypt). */
  isCurrent(stored: string): boolean;
}

/** Derives the public id of a key. */
export function encryptionKeyId(key: Buffer): string {
  return createHash('sha256').update('hookpost encryption key id\0').update(key).digest('hex').slice(0, 16);
}

/** True when a stored value is an encryption envelope rather than legacy plaintext. */
export const isEncrypted = (stored: string): boolean => stored.startsWith(PREFIX);

/**
 * Parses one key written as base64 (44 characters) or hex (64 characters) of 32 bytes.
 * Returns undefined for anything else; the caller names the file and line, never the text.
 */
function parseKey(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]{43}=$/.test(text) || /^[A-Za-z0-9_-]{43}=?$/.test(text)) {
    const key = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
    return key.length === ENCRYPTION_KEY_BYTES ? key : undefined;
  }
  return undefined;
}

/**
 * Parses a key file: one key per line (base64 or hex of 32 random bytes), the first is the current
 * key, the others are still read; blank lines and lines starting with `#` are ignored.
 * @throws HookpostError ENCRYPTION_KEY_INVALID naming the line (never its content)
 */
export function parseEncryptionKeys(text: string, source: string): EncryptionKey[] {
  const keys: EncryptionKey[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const key = parseKey(line);
    if (key === undefined) {
      throw new HookpostError(
        ErrorCode.ENCRYPTION_KEY_INVALID,
        `${source} line ${i + 1}: expected 32 bytes as base64 (44 characters) or hex (64 characters); ${GENERATE_HINT}`,
      );
    }
    const id = encryptionKeyId(key);
    if (keys.some((k) => k.id === id)) {
      throw new HookpostError(ErrorCode.ENCRYPTION_KEY_INVALID, `${source} line ${i + 1}: the same key appears twice`);
    }
    keys.push({ id, key });
  });
  if (keys.length === 0) {
    throw new HookpostError(ErrorCode.ENCRYPTION_KEY_INVALID, `${source} holds no key; ${GENERATE_HINT}`);
  }
  return keys;
}

/**
 * Reads the keys of HOOKPOST_ENCRYPTION_KEY_FILE (see {@link parseEncryptionKeys}).
 * @throws HookpostError ENCRYPTION_KEY_INVALID (missing, unreadable, or not keys)
 */
export function loadEncryptionKeys(path: string): EncryptionKey[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new HookpostError(
      ErrorCode.ENCRYPTION_KEY_INVALID,
      code === 'ENOENT'
        ? `encryption key file ${path} does not exist: point HOOKPOST_ENCRYPTION_KEY_FILE at it, or ${GENERATE_HINT}`
        : `encryption key file ${path} cannot be read (${code ?? 'error'}): it must be a regular file readable by the hookpost user`,
      { cause: err },
    );
  }
  return parseEncryptionKeys(text, `encryption key file ${path}`);
}

/**
 * Local quickstart only: loads `<dataDir>/encryption-key`, or writes a fresh random key there
 * (mode 0600, folder 0700) when there is none, like the local signing key.
 */
export function loadOrCreateLocalEncryptionKeys(dataDir: string): { keys: EncryptionKey[]; path: string; created: boolean } {
  const path = join(dataDir, LOCAL_ENCRYPTION_KEY_FILE_NAME);
  try {
    return { keys: loadEncryptionKeys(path), path, created: false };
  } catch (err) {
    if ((err as { cause?: NodeJS.ErrnoException }).cause?.code !== 'ENOENT') throw err;
  }
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // `wx`: never overwrite a key another process wrote in the meantime; use theirs instead.
    writeFileSync(path, `${randomBytes(ENCRYPTION_KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { keys: loadEncryptionKeys(path), path, created: false };
    throw new HookpostError(
      ErrorCode.ENCRYPTION_KEY_INVALID,
      `cannot write a generated encryption key to ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}): make the data directory writable or set HOOKPOST_ENCRYPTION_KEY_FILE`,
      { cause: err },
    );
  }
  return { keys: loadEncryptionKeys(path), path, created: true };
}

const unreadable = (context: string, why: string) =>
  new HookpostError(ErrorCode.SECRET_UNREADABLE, `a stored secret of ${context} cannot be decrypted: ${why}`);

/** Builds the cipher over `keys`; the first one is current. */
export function createSecretsCipher(keys: readonly EncryptionKey[]): SecretsCipher {
  const current = keys[0];
  if (current === undefined) throw new HookpostError(ErrorCode.ENCRYPTION_KEY_INVALID, 'at least one encryption key is needed');
  for (const k of keys) {
    if (k.key.length !== ENCRYPTION_KEY_BYTES) {
      throw new HookpostError(ErrorCode.ENCRYPTION_KEY_INVALID, `encryption key ${k.id} is not ${ENCRYPTION_KEY_BYTES} bytes`);
    }
  }
  const byId = new Map(keys.map((k) => [k.id, k.key]));
  const aad = (context: string) => Buffer.from(`hookpost:${VERSION}:${context}`, 'utf8');

  return {
    currentKeyId: current.id,

    encrypt(plaintext, context) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.key, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad(context));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const sealed = Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
      return `${PREFIX}${VERSION}:${current.id}:${sealed}`;
    },

    decrypt(stored, context) {
      if (!isEncrypted(stored)) return stored;
      const match = ENVELOPE_RE.exec(stored);
      if (match === null) throw unreadable(context, 'not an enc:v1 envelope');
      const key = byId.get(match[1] ?? '');
      if (key === undefined) {
        throw unreadable(context, `it was written with key ${match[1]}, which is not in HOOKPOST_ENCRYPTION_KEY_FILE`);
      }
      const sealed = Buffer.from(match[2] ?? '', 'base64');
      if (sealed.length < NONCE_BYTES + TAG_BYTES) throw unreadable(context, 'the envelope is truncated');
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(context));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]).toString(
          'utf8',
        );
      } catch {
        throw unreadable(context, 'authentication failed (tampered, or copied from another record)');
      }
    },

    isCurrent(stored) {
      return stored.startsWith(`${PREFIX}${VERSION}:${current.id}:`);
    },
  };
}
