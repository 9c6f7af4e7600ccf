#!/usr/bin/env node
/**
 * Writes the two key files a hookpost installation needs into a folder, and never replaces one that
 * exists (the keys in use would be lost: webhook secrets and protected header values stored in Redis
 * under the old encryption key become unreadable; receivers that pinned the old public key reject
 * deliveries signed by a new one). Needs Node only: no `npm ci`, no build.
 *
 *   node scripts/keys.mjs <dir> [--force]
 *
 *   <dir>/signing-key.pem   Ed25519 private key, PEM PKCS#8 (HOOKPOST_SIGNING_KEY_FILE)
 *   <dir>/encryption-key    32 random bytes in base64 (HOOKPOST_ENCRYPTION_KEY_FILE)
 *
 * Both are written with mode 0600 in a folder created with mode 0700. A file that exists is kept
 * (said on stdout, exit 0); --force replaces it, with a warning on stderr of what that breaks.
 * Exit codes: 0 done, 1 a file could not be written, 2 usage.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const USAGE = 'Usage: node scripts/keys.mjs <dir> [--force]';

let parsed;
try {
  parsed = parseArgs({ options: { force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
} catch (err) {
  process.stderr.write(`keys: ${err.message}\n${USAGE}\n`);
  process.exit(2);
}
if (parsed.values.help) {
  process.stdout.write(`${USAGE}\nWrites <dir>/signing-key.pem and <dir>/encryption-key; keeps any that exists unless --force.\n`);
  process.exit(0);
}
if (parsed.positionals.length !== 1) {
  process.stderr.write(`keys: expected one folder, e.g. node scripts/keys.mjs .hookpost/compose\n${USAGE}\n`);
  process.exit(2);
}
const [dir] = parsed.positionals;
const force = parsed.values.force === true;

const KEYS = [
  {
    file: 'signing-key.pem',
    make: () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }),
    breaks:
      'deliveries are signed by a new key: receivers that pinned the old public key reject them until they fetch ' +
      'GET /v2.1/signing-keys again (to rotate without that, follow "Rotating the signing key" in the README)',
  },
  {
    file: 'encryption-key',
    make: () => `${randomBytes(32).toString('base64')}\n`,
    breaks:
      'protected header values and webhook secrets stored in Redis under the old key become unreadable ' +
      '(to rotate without that, follow "Rotating the encryption key" in the README)',
  },
];

let failed = false;
try {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
} catch (err) {
  process.stderr.write(`keys: cannot create ${dir}: ${err.code ?? err.message}\n`);
  process.exit(1);
}
for (const key of KEYS) {
  const path = join(dir, key.file);
  const exists = existsSync(path);
  if (exists && !force) {
    process.stdout.write(`kept ${path} (it exists and may be in use; --force replaces it)\n`);
    continue;
  }
  try {
    // 'wx' fails if the file appeared meanwhile: nothing is ever replaced without --force.
    writeFileSync(path, key.make(), { mode: 0o600, flag: exists ? 'w' : 'wx' });
  } catch (err) {
    failed = true;
    process.stderr.write(`keys: cannot write ${path}: ${err.code ?? err.message}\n`);
    continue;
  }
  if (exists) process.stderr.write(`warning: replaced ${path}: ${key.breaks}\n`);
  process.stdout.write(`${exists ? 'replaced' : 'wrote'} ${path}\n`);
}
process.exit(failed ? 1 : 0);
