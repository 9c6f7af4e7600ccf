import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/index.js';
import { nameSchema } from '../../../src/api/primitives.js';

const keys = { HOOKPOST_SIGNING_KEY_FILE: '/k.pem', HOOKPOST_ENCRYPTION_KEY_FILE: '/e.key' };
const A = 'token-for-everything-000';
const B = 'token-for-alpha-beta-000';
const PADDED = 'YmFzZTY0LXRva2VuLXdpdGgtcGFkZGluZw==';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig({ ...keys, ...env });
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected loadConfig to throw');
};

const scopes = (env: Record<string, string>) =>
  loadConfig({ ...keys, ...env }).apiTokens.map((t) => [t.reveal(), t.projects]);

function tokenFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'hookpost-tokens-')), 'tokens');
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

describe('API token scopes', () => {
  it('reads plain entries as every project and token=p1|p2 as those projects', () => {
    expect(scopes({ HOOKPOST_API_TOKENS: `${A}, ${B}=alpha|beta , ${A}x=*` })).toEqual([
      [A, null],
      [B, ['alpha', 'beta']],
      [`${A}x`, null],
    ]);
  });

  it('lets a token contain "=" (base64 padding): the scope starts after the last "="', () => {
    expect(scopes({ HOOKPOST_API_TOKENS: `${PADDED},${PADDED}x=alpha` })).toEqual([
      [PADDED, null],
      [`${PADDED}x`, ['alpha']],
    ]);
  });

  it('reads HOOKPOST_API_TOKENS_FILE, one entry per line, comments and blank lines ignored, beside the variable', () => {
    const path = tokenFile(`# ops team\n${B}=alpha\n\n  ${PADDED}  \n`);
    expect(scopes({ HOOKPOST_API_TOKENS: A, HOOKPOST_API_TOKENS_FILE: path })).toEqual([
      [A, null],
      [B, ['alpha']],
      [PADDED, null],
    ]);
    // The file alone is enough for the API.
    expect(scopes({ HOOKPOST_API_TOKENS_FILE: path })).toHaveLength(2);
  });

  it('refuses bad entries naming their position, never their text', () => {
    const bad = problemsOf({ HOOKPOST_API_TOKENS: `${A},${B}=al pha,${B}x=` });
    expect(bad).toContain('token #2: project #1 of its scope can never match a project');
    expect(bad).not.toContain(B);
    const short = problemsOf({ HOOKPOST_API_TOKENS_FILE: tokenFile(`${A}\nshort-secret=alpha\n`) });
    expect(short).toContain('HOOKPOST_API_TOKENS_FILE: the token on line 2 must be at least 16 characters');
    expect(short).not.toContain('short-secret');
    expect(problemsOf({ HOOKPOST_API_TOKENS: `${A},${A}=alpha` })).toContain('token #2 is configured twice');
    expect(problemsOf({ HOOKPOST_API_TOKENS: A, HOOKPOST_API_TOKENS_FILE: tokenFile(`${A}=alpha\n`) })).toContain(
      'a token is also in HOOKPOST_API_TOKENS',
    );
    expect(problemsOf({ HOOKPOST_API_TOKENS_FILE: '/nonexistent/tokens' })).toContain(
      'HOOKPOST_API_TOKENS_FILE: cannot read /nonexistent/tokens (ENOENT)',
    );
  });

  it('refuses at startup a scope that can never match a project name, naming the entry, not its text', () => {
    for (const scope of ['Team-A', 'team_a', 'team.a', '-team', 'a'.repeat(65), 'alpha|Beta', 'alpha||beta']) {
      const message = problemsOf({ HOOKPOST_API_TOKENS: `${A},${B}=${scope}` });
      expect(message, scope).toMatch(/token #2: project #\d of its scope can never match a project \(project names are 1-64 characters of a-z, 0-9 and -/);
      expect(message).not.toContain(B);
    }
    const fromFile = problemsOf({ HOOKPOST_API_TOKENS_FILE: tokenFile(`${A}=alpha\n\n${B}=alpha|Prod\n`) });
    expect(fromFile).toContain('the token on line 3: project #2 of its scope can never match a project');
    expect(fromFile).not.toContain(B);
    expect(scopes({ HOOKPOST_API_TOKENS: `${B}=team-a|${'a'.repeat(64)}|0x` })).toEqual([[B, ['team-a', 'a'.repeat(64), '0x']]]);
  });

  it('accepts in a scope exactly the project names the API accepts', () => {
    const names = ['a', 'team-a', '0', '9-lives', 'a'.repeat(64), 'a'.repeat(65), 'A', 'team_a', 'team.a', '-a', 'a b', 'é', ''];
    for (const name of names) {
      const api = nameSchema.safeParse(name).success;
      let config: boolean;
      try {
        loadConfig({ ...keys, HOOKPOST_API_TOKENS: `${B}=${name}` });
        config = true;
      } catch {
        config = false;
      }
      // '' after "=" is no scope at all (every project), not a project name.
      if (name !== '') expect(config, JSON.stringify(name)).toBe(api);
    }
  });

  it('never shows a token in a dump of the config', () => {
    const config = loadConfig({ ...keys, HOOKPOST_API_TOKENS: `${A},${B}=alpha` });
    const dumps = [JSON.stringify(config), inspect(config, { depth: 10 }), String(config.apiTokens)];
    for (const dump of dumps) {
      expect(dump).not.toContain(A);
      expect(dump).not.toContain(B);
    }
    expect(JSON.stringify(config)).toContain('"projects":["alpha"]');
  });
});
