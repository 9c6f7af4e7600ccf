/**
 * Startup check of secret files (signing keys now; an encryption key later): a key file that other
 * users can read is worth one warning line, not a refusal, since the file may sit in a container
 * nobody else shares.
 */
import { statSync } from 'node:fs';

/** Who besides the process can read a key file, and the mode that lets them. */
export interface KeyFileExposure {
  readonly path: string;
  /** The permission bits in octal, e.g. `0644`. */
  readonly mode: string;
  readonly readableBy: 'group' | 'others' | 'group and others';
}

/**
 * Says whether a key file is readable by more users than need it, from its mode and owner:
 * - readable by others (`o+r`): always too open;
 * - readable by its group (`g+r`) while the process owns it: `chmod 600` loses nothing;
 * - readable by its group when someone else owns it (a Kubernetes Secret volume: root-owned, group
 *   `fsGroup`, mode 0440): the group bit is how the process reads it, so it is not reported.
 * Returns null when the file is private enough, cannot be examined (the loader reports a missing or
 * unreadable file), or on Windows, where the mode bits mean nothing.
 * @param uid - the process's user id; default `process.getuid()`
 */
export function keyFileExposure(path: string, uid: number | undefined = process.getuid?.()): KeyFileExposure | null {
  if (process.platform === 'win32') return null;
  let stats: { mode: number; uid: number };
  try {
    stats = statSync(path);
  } catch {
    return null;
  }
  const others = (stats.mode & 0o004) !== 0;
  const group = (stats.mode & 0o040) !== 0 && (uid === undefined || stats.uid === uid);
  if (!others && !group) return null;
  return {
    path,
    mode: `0${(stats.mode & 0o777).toString(8).padStart(3, '0')}`,
    readableBy: others && group ? 'group and others' : others ? 'others' : 'group',
  };
}
