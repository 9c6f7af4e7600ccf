/**
 * Content-Digest (RFC 9530 §2) for outgoing deliveries, with node:crypto.
 */
import { hash } from 'node:crypto';

/** Digest algorithms hookpost writes in Content-Digest (RFC 9530 §5, lower-case keys). */
export type DigestAlgorithm = 'sha-512' | 'sha-256';

const NODE_ALGORITHM: Readonly<Record<DigestAlgorithm, string>> = { 'sha-512': 'sha512', 'sha-256': 'sha256' };

/**
 * The Content-Digest header value for `body`: `sha-512=:<base64>:` (RFC 9530 §2, a one-member
 * structured-field dictionary). An empty body carries the digest of the empty string.
 * @param body - the exact bytes sent (a string is hashed as UTF-8)
 * @param alg - `'sha-512'` (default) or `'sha-256'`
 */
export function contentDigest(body: Uint8Array | string, alg: DigestAlgorithm = 'sha-512'): string {
  const nodeAlgorithm = NODE_ALGORITHM[alg];
  if (nodeAlgorithm === undefined) throw new TypeError(`unsupported digest algorithm "${String(alg)}"`);
  return `${alg}=:${hash(nodeAlgorithm, body, 'base64')}:`;
}
