/**
 * `node scripts/keys.mjs <dir>` writes a signing key and an encryption key that hookpost loads, and
 * never replaces one that exists unless told to (--force, with a warning of what that breaks).
 * Compose reads its keys from their own folder, never from the files local mode generates.
 */
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../../config/index.js';
import { LOCAL_ENCRYPTION_KEY_FILE_NAME, loadEncryptionKeys } from '../../../src/registry/index.js';
import { LOCAL_KEY_FILE_NAME } from '../../../src/signing/keys.js';
import { readRepoFile } from '../../helpers/metric-names.js';
import { spawnChild } from '../../helpers/processes.js';

async function keys(...args: string[]) {
  const run = spawnChild(process.execPath, ['scripts/keys.mjs', ...args], {});
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

describe('scripts/keys.mjs', () => {
  it('writes both keys (mode 0600) that hookpost loads, then keeps them on a second run', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'hookpost-keys-')), 'compose');
    const first = await keys(dir);
    expect(first).toEqual({ code: 0, stdout: `wrote ${join(dir, 'signing-key.pem')}\nwrote ${join(dir, 'encryption-key')}\n`, stderr: '' });
    const signing = readFileSync(join(dir, 'signing-key.pem'), 'utf8');
    const encryption = readFileSync(join(dir, 'encryption-key'), 'utf8');
    expect(createPrivateKey(signing).asymmetricKeyType).toBe('ed25519');
    expect(loadEncryptionKeys(join(dir, 'encryption-key'))).toHaveLength(1);
    for (const file of ['signing-key.pem', 'encryption-key']) expect(statSync(join(dir, file)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    // What the API process needs from them.
    expect(() =>
      loadConfig({ HOOKPOST_API_TOKENS: 'a-token-0123456789', HOOKPOST_SIGNING_KEY_FILE: join(dir, 'signing-key.pem'), HOOKPOST_ENCRYPTION_KEY_FILE: join(dir, 'encryption-key') }),
    ).not.toThrow();

    const again = await keys(dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      `kept ${join(dir, 'signing-key.pem')} (it exists and may be in use; --force replaces it)\n` +
        `kept ${join(dir, 'encryption-key')} (it exists and may be in use; --force replaces it)\n`,
    );
    expect(readFileSync(join(dir, 'signing-key.pem'), 'utf8')).toBe(signing);
    expect(readFileSync(join(dir, 'encryption-key'), 'utf8')).toBe(encryption);
  });

  it('writes only the missing one, and --force replaces with a warning of what becomes unreadable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookpost-keys-'));
    writeFileSync(join(dir, 'encryption-key'), 'my existing key\n', { mode: 0o600 });
    const partial = await keys(dir);
    expect(partial.stdout).toBe(`wrote ${join(dir, 'signing-key.pem')}\nkept ${join(dir, 'encryption-key')} (it exists and may be in use; --force replaces it)\n`);
    expect(readFileSync(join(dir, 'encryption-key'), 'utf8')).toBe('my existing key\n');

    const forced = await keys(dir, '--force');
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, 'encryption-key'), 'utf8')).not.toBe('my existing key\n');
    expect(forced.stderr).toContain(
      `warning: replaced ${join(dir, 'encryption-key')}: protected header values and webhook secrets stored in Redis under the old key become unreadable`,
    );
    expect(forced.stderr).toContain(`warning: replaced ${join(dir, 'signing-key.pem')}: deliveries are signed by a new key`);
  });

  it('usage errors exit 2', async () => {
    expect((await keys()).code).toBe(2);
    expect((await keys('a', 'b')).code).toBe(2);
    expect((await keys('--bogus', 'a')).code).toBe(2);
  });
});

describe('Compose and local mode keep their keys apart', () => {
  it("docker-compose.yml reads its keys from .hookpost/compose, never local mode's generated files", () => {
    const compose = parseYaml(readRepoFile('docker-compose.yml')) as {
      services: Record<string, { volumes?: Array<{ type: string; source: string }> }>;
    };
    const bound = Object.values(compose.services)
      .flatMap((s) => s.volumes ?? [])
      .filter((v) => v.type === 'bind' && v.source.includes('.hookpost'))
      .map((v) => normalize(v.source));
    expect(bound.sort()).toEqual(['.hookpost/compose/encryption-key', '.hookpost/compose/signing-key.pem']);
    // Local mode's files, in its default data folder.
    const local = loadConfig({}, { role: 'local' }).dataDir;
    for (const file of [LOCAL_KEY_FILE_NAME, LOCAL_ENCRYPTION_KEY_FILE_NAME]) expect(bound).not.toContain(normalize(join(local, file)));
    // The command that writes them is the one the README and the compose file give.
    expect(readRepoFile('docker-compose.yml')).toContain('node scripts/keys.mjs .hookpost/compose');
    expect(readRepoFile('docs/deploy.md')).toContain('node scripts/keys.mjs .hookpost/compose');
  });
});
