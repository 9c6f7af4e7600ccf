import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/index.js';

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
    expect(bad).toContain('token #2: expected <token>=<project>|<project>');
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
