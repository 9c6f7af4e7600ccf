#!/usr/bin/env node
/**
 * The npm registry mirror this project is built from serves only the Linux builds of packages with
 * per-platform optional dependencies (@biomejs/cli-*, @msgpackr-extract/*), so `npm install` leaves
 * the other platforms out of package-lock.json and npm 11's `npm ci` then refuses the lockfile as
 * out of sync. This adds the missing optional entries with their os/cpu constraints (never
 * installed on Linux, so no tarball or integrity is needed). Run it after changing dependencies:
 *   npm install && node scripts/complete-lockfile.mjs
 */
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;

const PLATFORM = /(android|darwin|linux|win32|freebsd)-(arm64|x64|arm|ia32)(?:-(musl|gnu))?$/;
let added = 0;
for (const entry of Object.values(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const target = `node_modules/${name}`;
    if (packages[target]) continue;
    const m = PLATFORM.exec(name);
    if (!m) continue;
    packages[target] = {
      version: version.replace(/^[\^~]/, ''),
      cpu: [m[2]],
      os: [m[1]],
      ...(m[3] ? { libc: [m[3]] } : {}),
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
    };
    added++;
  }
}
const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
lock.packages = sorted;
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} platform entries`);
