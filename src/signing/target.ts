/**
 * Where a delivery goes, in the exact form that is both sent and signed (RFC 9421 §2.2.1-§2.2.2).
 * Pure and runtime-neutral (only the WHATWG `URL` global): the receiver-side verifier imports it.
 */

/** The parts of a webhook URL that the HTTP client sends and the signature covers. */
export interface RequestTarget {
  /** `scheme://authority`, for the HTTP client's connection pool (e.g. `https://hooks.example.com`). */
  readonly origin: string;
  /** The Host header value and `@authority`: lower case, no default port, IPv6 in brackets. */
  readonly authority: string;
  /** `@target-uri`: `scheme://authority` + {@link RequestTarget.path}. */
  readonly targetUri: string;
  /** Path and query exactly as sent on the request line; never empty (at least `/`). */
  readonly path: string;
}

/**
 * Normalizes a webhook URL into what is sent and signed (docs/signing.md):
 * WHATWG URL parsing (lower-case host, default port dropped, IDNA, dot segments removed), fragment
 * dropped, empty path becomes `/`, no bare trailing `?`, percent-escapes of unreserved characters
 * (`ALPHA DIGIT - . _ ~`) decoded, other escapes kept (hex digits upper-cased).
 *
 * The path and query are brought to a fixed point of what the documented Python receiver does when it
 * rebuilds the URL (requests' `prepare_url`: urllib3 `parse_url`, then `requote_uri`); otherwise it
 * would compute a different `@target-uri` than the one signed. So characters that WHATWG leaves raw
 * but urllib3 escapes (`| ^ [ ] \ { } `` and the like) are percent-encoded, escapes get upper-case hex
 * (urllib3 upper-cases them), and a `%` that does not start an escape becomes `%25`.
 * User information (`user:pass@`) is not part of the authority and is not sent.
 *
 * @throws TypeError when `url` is not an absolute `http:` or `https:` URL
 */
export function requestTarget(url: string | URL): RequestTarget {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`unsupported URL scheme "${parsed.protocol}" (expected http: or https:)`);
  }
  const authority = parsed.host;
  const origin = `${parsed.protocol}//${authority}`;
  const pathname = parsed.pathname === '' ? '/' : parsed.pathname;
  // `search` is "" both for no query and for a bare "?", which is the rule we want.
  const path = canonicalizePathAndQuery(pathname + parsed.search);
  return { origin, authority, targetUri: origin + path, path };
}

// Characters that may stay literal: those that urllib3's parse_url (PATH_CHARS, QUERY_CHARS) and
// requests' requote_uri both leave alone, i.e. RFC 3986 unreserved, sub-delims, ":", "@", "/", "?".
// `#` never reaches here: WHATWG already escaped it.
const LITERAL = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/?]$/;
const NEEDS_WORK = /[^A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%/;

function canonicalizePathAndQuery(raw: string): string {
  if (!NEEDS_WORK.test(raw)) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i]!;
    if (char === '%') {
      const hex = raw.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        const decoded = String.fromCharCode(Number.parseInt(hex, 16));
        out += /^[A-Za-z0-9\-._~]$/.test(decoded) ? decoded : `%${hex.toUpperCase()}`;
        i += 2;
      } else {
        out += '%25';
      }
    } else if (LITERAL.test(char)) {
      out += char;
    } else {
      out += percentEncode(char);
    }
  }
  return out;
}

const encoder = new TextEncoder();

function percentEncode(char: string): string {
  let out = '';
  for (const byte of encoder.encode(char)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}
