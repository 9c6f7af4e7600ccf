import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// hookpost/verify must run in any JS runtime: follow verify.ts's relative imports and check that none
// of the files it loads imports a `node:` module or touches Node-only globals.
const SIGNING_DIR = new URL('../../../src/signing/', import.meta.url);

function importGraph(entry: string): Map<string, string> {
  const files = new Map<string, string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    const source = readFileSync(new URL(file, SIGNING_DIR), 'utf8');
    files.set(file, source);
    for (const match of source.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)) {
      const specifier = match[1]!;
      if (specifier.startsWith('./')) pending.push(specifier.slice(2).replace(/\.js$/, '.ts'));
      else if (specifier.startsWith('../')) files.set(specifier, `import '${specifier}'`);
    }
  }
  return files;
}

describe('hookpost/verify runtime neutrality', () => {
  const graph = importGraph('verify.ts');

  it('loads only runtime-neutral files', () => {
    expect([...graph.keys()].sort()).toEqual([
      'base64.ts',
      'signature-base.ts',
      'structured-fields.ts',
      'target.ts',
      'verify.ts',
    ]);
  });

  it.each([...graph.keys()])('%s imports nothing from node: and uses no Node-only globals', (file) => {
    const code = graph.get(file)!.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    expect(code).not.toMatch(/from\s+'node:|require\(|import\('node:/);
    expect(code).not.toMatch(/\b(Buffer|process|__dirname)\b/);
  });

  it('imports only @noble/ed25519 from packages', () => {
    const packages = [...graph.values()].flatMap((source) =>
      [...source.matchAll(/from\s+'([^.'][^']*)'/g)].map((match) => match[1]),
    );
    expect(packages).toEqual(['@noble/ed25519']);
  });
});
