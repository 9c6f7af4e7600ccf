/**
 * Just enough of npm's `engines.node` range syntax to check the ranges the runtime dependencies
 * declare (`>=22`, `^16 || ^18 || >=20`, `6.* || 8.* || >= 10.*`, `>=16 || 14 >=14.17`). An
 * unknown form throws, so a new kind of range fails the test instead of passing unchecked.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

type Version = readonly [number, number, number];

export interface RuntimePackage {
  readonly name: string;
  readonly version: string;
  /** `engines.node`, when the package declares one. */
  readonly nodeRange: string | undefined;
}

export function parseVersion(text: string): Version {
  const parts = text.replace(/^v/, '').split('.');
  const number = (part: string | undefined) => (part === undefined || part === '*' || part === 'x' ? 0 : Number(part));
  const version = [number(parts[0]), number(parts[1]), number(parts[2])] as const;
  if (version.some((n) => !Number.isInteger(n))) throw new Error(`not a version: ${text}`);
  return version;
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** [lowest admitted, first excluded) of one comparator; `undefined` upper means unbounded. */
function bounds(comparator: string): { low: Version; high?: Version } {
  const match = /^(>=|>|<=|<|\^|=)?(\d+(?:\.(?:\d+|\*|x))?(?:\.(?:\d+|\*|x))?)$/.exec(comparator);
  if (!match) throw new Error(`unsupported engines comparator: ${comparator}`);
  const [, operator = '', text = ''] = match;
  const v = parseVersion(text);
  const given = text.split('.').filter((p) => p !== '*' && p !== 'x').length;
  const next: Version = given === 1 ? [v[0] + 1, 0, 0] : given === 2 ? [v[0], v[1] + 1, 0] : [v[0], v[1], v[2] + 1];
  switch (operator) {
    case '>=':
      return { low: v };
    case '^':
      if (v[0] === 0) throw new Error(`unsupported engines comparator: ${comparator}`);
      return { low: v, high: [v[0] + 1, 0, 0] };
    case '':
    case '=':
      return { low: v, high: next };
    default:
      throw new Error(`unsupported engines comparator: ${comparator}`);
  }
}

function alternatives(range: string): string[][] {
  return range.split('||').map((alternative) =>
    alternative
      .trim()
      .replace(/(>=|<=|>|<|\^|=)\s+/g, '$1')
      .split(/\s+/)
      .filter((c) => c !== ''),
  );
}

export function satisfies(version: string, range: string): boolean {
  const v = parseVersion(version);
  return alternatives(range).some((comparators) =>
    comparators.every((c) => {
      const { low, high } = bounds(c);
      return compare(v, low) >= 0 && (high === undefined || compare(v, high) < 0);
    }),
  );
}

/** The lowest version a range admits, as `major.minor.patch`. */
export function lowestIn(range: string): string {
  const lows = alternatives(range).map((comparators) => comparators.map((c) => bounds(c).low).reduce((a, b) => (compare(a, b) >= 0 ? a : b)));
  const lowest = lows.reduce((a, b) => (compare(a, b) <= 0 ? a : b));
  return lowest.join('.');
}

function findPackageJson(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Every installed package the runtime needs (dependencies and optionalDependencies, transitively). */
export function runtimePackages(root: string): RuntimePackage[] {
  const seen = new Map<string, RuntimePackage>();
  const queue = [join(root, 'package.json')];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const real = realpathSync(file);
    if (seen.has(real)) continue;
    const pkg = JSON.parse(readFileSync(real, 'utf8')) as {
      name: string;
      version: string;
      engines?: { node?: string };
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    seen.set(real, { name: pkg.name, version: pkg.version, nodeRange: pkg.engines?.node });
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      const found = findPackageJson(name, dirname(file));
      if (found) queue.push(found);
    }
  }
  return [...seen.values()].slice(1);
}
