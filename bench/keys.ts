/**
 * The key files a benchmark's worker process needs: a fresh Ed25519 signing key and a fresh
 * encryption key (secrets at rest), both 0600 in `dir`.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WorkerKeyFiles {
  readonly signingKeyFile: string;
  readonly encryptionKeyFile: string;
  /** The two as the worker's environment variables. */
  readonly env: { readonly HOOKPOST_SIGNING_KEY_FILE: string; readonly HOOKPOST_ENCRYPTION_KEY_FILE: string };
}

export function writeWorkerKeys(dir: string): WorkerKeyFiles {
  const signingKeyFile = join(dir, 'key.pem');
  writeFileSync(signingKeyFile, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const encryptionKeyFile = join(dir, 'encryption-key');
  writeFileSync(encryptionKeyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  return {
    signingKeyFile,
    encryptionKeyFile,
    env: { HOOKPOST_SIGNING_KEY_FILE: signingKeyFile, HOOKPOST_ENCRYPTION_KEY_FILE: encryptionKeyFile },
  };
}
