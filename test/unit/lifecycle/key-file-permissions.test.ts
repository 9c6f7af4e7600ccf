import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keyFileExposure } from '../../../src/lifecycle/key-file-permissions.js';

const dir = mkdtempSync(join(tmpdir(), 'hookpost-perms-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fileWithMode(name: string, mode: number): string {
  const path = join(dir, name);
  writeFileSync(path, 'key');
  chmodSync(path, mode); // not through writeFileSync's mode, which the umask would trim
  return path;
}

const me = process.getuid?.() ?? 0;

describe.skipIf(process.platform === 'win32')('keyFileExposure', () => {
  it.each([0o600, 0o400, 0o700, 0o200])('%o is private enough', (mode) => {
    expect(keyFileExposure(fileWithMode(`ok-${mode.toString(8)}`, mode), me)).toBeNull();
  });

  it.each([
    [0o640, 'group'],
    [0o440, 'group'],
    [0o604, 'others'],
    [0o644, 'group and others'],
    [0o666, 'group and others'],
    [0o777, 'group and others'],
  ] as const)('%o owned by the process is readable by %s', (mode, readableBy) => {
    const path = fileWithMode(`open-${mode.toString(8)}`, mode);
    expect(keyFileExposure(path, me)).toEqual({ path, mode: `0${mode.toString(8)}`, readableBy });
  });

  it('group read on a file someone else owns is how the process reads it (a Kubernetes Secret, 0440)', () => {
    const path = fileWithMode('secret-volume', 0o440);
    expect(keyFileExposure(path, me + 1)).toBeNull();
    // Readable by others is too open whoever owns it.
    chmodSync(path, 0o444);
    expect(keyFileExposure(path, me + 1)).toEqual({ path, mode: '0444', readableBy: 'others' });
  });

  it('leaves a file it cannot examine to the key loader', () => {
    expect(keyFileExposure(join(dir, 'does-not-exist'), me)).toBeNull();
  });
});
