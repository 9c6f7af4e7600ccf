/**
 * API token check: `Authorization: Token <token>` (the UbiOps scheme) or `Authorization: Bearer
 * <token>` (the UP42 SDK's), on every route of both surfaces. The presented token is compared with
 * every configured token in constant time over SHA-256 digests, so neither the comparison nor the
 * token lengths leak through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** The accepted schemes, compared case-insensitively (RFC 9110 §11.1). */
export const AUTH_SCHEMES: readonly string[] = Object.freeze(['Token', 'Bearer']);

/** The result of a check: null when accepted, else the reason for the 401 (never echoing the token). */
export type TokenCheck = (authorization: string | undefined) => string | null;

const EXPECTED = '"Authorization: Token <token>" or "Authorization: Bearer <token>"';

/** Builds the check for `tokens` (at least one; the caller guarantees it). */
export function createTokenCheck(tokens: readonly string[]): TokenCheck {
  const digests = tokens.map(digest);
  const schemes = AUTH_SCHEMES.map((s) => s.toLowerCase());
  return (authorization) => {
    if (authorization === undefined || authorization.trim() === '') {
      return `missing Authorization header; expected ${EXPECTED}`;
    }
    const match = /^(\S+)\s+(\S+)\s*$/.exec(authorization.trim());
    if (match === null || !schemes.includes(match[1]?.toLowerCase() ?? '')) {
      return `Authorization scheme must be Token or Bearer (${EXPECTED})`;
    }
    const presented = digest(match[2] ?? '');
    let accepted = false;
    // No early exit: every configured token is compared, whichever matches.
    for (const d of digests) accepted = timingSafeEqual(presented, d) || accepted;
    return accepted ? null : 'invalid API token';
  };
}
