/**
 * API token check: `Authorization: Token <token>` (the UbiOps scheme) or `Authorization: Bearer
 * <token>` (the UP42 SDK's), on every route of both surfaces. The presented token is compared with
 * every configured token in constant time over SHA-256 digests, so neither the comparison nor the
 * token lengths leak through timing, nor which token (and so which scope) matched.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** The accepted schemes, compared case-insensitively (RFC 9110 §11.1). */
export const AUTH_SCHEMES: readonly string[] = Object.freeze(['Token', 'Bearer']);

/**
 * A configured token and the projects it may touch (null: every project). A plain string is a
 * token for every project. The token is read through `reveal()` so config dumps never show it.
 */
export type ConfiguredToken = string | { readonly projects: readonly string[] | null; reveal(): string };

/** What an accepted token may touch: the projects, or null for every project. */
export interface TokenGrant {
  readonly projects: ReadonlySet<string> | null;
}

/** The result of authentication: the grant, or the reason for the 401 (never echoing the token). */
export type Authentication = { readonly ok: true; readonly grant: TokenGrant } | { readonly ok: false; readonly problem: string };

/** The result of a check: null when accepted, else the reason for the 401 (never echoing the token). */
export type TokenCheck = (authorization: string | undefined) => string | null;

const EXPECTED = '"Authorization: Token <token>" or "Authorization: Bearer <token>"';

/** Builds the authenticator for `tokens` (at least one; the caller guarantees it). */
export function createTokenAuthenticator(tokens: readonly ConfiguredToken[]): (authorization: string | undefined) => Authentication {
  const entries = tokens.map((t) => {
    const token = typeof t === 'string' ? t : t.reveal();
    const projects = typeof t === 'string' || t.projects === null ? null : new Set(t.projects);
    return { digest: digest(token), grant: Object.freeze({ projects }) as TokenGrant };
  });
  const schemes = AUTH_SCHEMES.map((s) => s.toLowerCase());
  return (authorization) => {
    if (authorization === undefined || authorization.trim() === '') {
      return { ok: false, problem: `missing Authorization header; expected ${EXPECTED}` };
    }
    const match = /^(\S+)\s+(\S+)\s*$/.exec(authorization.trim());
    if (match === null || !schemes.includes(match[1]?.toLowerCase() ?? '')) {
      return { ok: false, problem: `Authorization scheme must be Token or Bearer (${EXPECTED})` };
    }
    const presented = digest(match[2] ?? '');
    let grant: TokenGrant | undefined;
    // No early exit: every configured token is compared, whichever matches (config refuses duplicates).
    for (const entry of entries) {
      const equal = timingSafeEqual(presented, entry.digest);
      grant = equal ? entry.grant : grant;
    }
    return grant === undefined ? { ok: false, problem: 'invalid API token' } : { ok: true, grant };
  };
}

/** Builds the check for `tokens` (at least one; the caller guarantees it). */
export function createTokenCheck(tokens: readonly ConfiguredToken[]): TokenCheck {
  const authenticate = createTokenAuthenticator(tokens);
  return (authorization) => {
    const result = authenticate(authorization);
    return result.ok ? null : result.problem;
  };
}
