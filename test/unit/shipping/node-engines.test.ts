import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/metric-names.js';
import { lowestIn, runtimePackages, satisfies } from './node-engines.js';

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
};

describe('engines.node range reading', () => {
  it.each<[string, string, boolean]>([
    ['22.0.0', '>=22', true],
    ['20.20.2', '>=22', false],
    ['20.18.1', '>=20.18.1', true],
    ['20.18.0', '>=20.18.1', false],
    ['18.20.0', '^16 || ^18 || >=20', true],
    ['19.0.0', '^16 || ^18 || >=20', false],
    ['9.0.0', '6.* || 8.* || >= 10.*', false],
    ['14.16.0', '>=16 || 14 >=14.17', false],
    ['14.17.0', '>=16 || 14 >=14.17', true],
  ])('%s in %s: %s', (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });

  it('finds the lowest version a range admits, and refuses forms it cannot read', () => {
    expect(lowestIn('^16 || ^18 || >=20')).toBe('16.0.0');
    expect(lowestIn('>=16 || 14 >=14.17')).toBe('14.17.0');
    expect(() => satisfies('22.0.0', '~22.1')).toThrow('unsupported engines comparator: ~22.1');
  });
});

describe('package.json engines', () => {
  const packages = runtimePackages(REPO_ROOT);
  const ranged = packages.filter((p): p is typeof p & { nodeRange: string } => p.nodeRange !== undefined);

  it('walks the whole runtime tree', () => {
    expect(packages.map((p) => p.name)).toEqual(expect.arrayContaining([...Object.keys(manifest.dependencies), 'light-my-request', 'cookie', 'thread-stream']));
  });

  it('every runtime dependency accepts the lowest Node engines admits (cookie, via fastify, needs 22)', () => {
    const lowest = lowestIn(manifest.engines.node);
    const refusing = ranged.filter((p) => !satisfies(lowest, p.nodeRange)).map((p) => `${p.name}@${p.version}: ${p.nodeRange}`);
    expect(refusing).toEqual([]);
  });

  it('says what is tested: the Node.js major line of the Docker image, which .ci/run installs when the machine has an older one', () => {
    const major = /^FROM node:(\d+)\./m.exec(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'))?.[1];
    expect(major).toMatch(/^\d+$/);
    expect(manifest.engines.node).toBe(`>=${major}`);
    // .ci/run reads the same FROM line, so CI runs the suite on that line.
    expect(readFileSync(join(REPO_ROOT, '.ci/run'), 'utf8')).toContain("sed -n 's/^FROM node:\\([0-9][0-9]*\\)\\..*/\\1/p' Dockerfile");
    expect(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')).toContain(`Node.js ${major}`);
  });
});
