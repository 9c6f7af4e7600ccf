/**
 * Destination guard (docs/delivery.md): by default only `https` URLs to public addresses. The address check
 * runs on the addresses DNS actually returned, inside the socket's `lookup`, so the address that
 * is connected to is the address that was checked (DNS rebinding cannot slip in between).
 */
import { type LookupAddress, type LookupAllOptions, type LookupOneOptions, lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';
import { ErrorCode, HookpostError } from '../errors.js';

export interface DestinationPolicy {
  /** Allow `http://` URLs (HOOKPOST_ALLOW_HTTP). */
  readonly allowHttp: boolean;
  /** Allow loopback, private, link-local and other non-public addresses (HOOKPOST_ALLOW_PRIVATE_TARGETS). */
  readonly allowPrivateTargets: boolean;
}

interface Ipv4Range {
  readonly base: number;
  readonly bits: number;
  readonly reason: string;
}

const v4 = (cidr: string, reason: string): Ipv4Range => {
  const [address, bits] = cidr.split('/');
  return { base: parseIpv4(address ?? '') ?? 0, bits: Number(bits), reason };
};

// Most specific first: the first match names the reason.
const IPV4_RANGES: readonly Ipv4Range[] = [
  v4('255.255.255.255/32', 'broadcast'),
  v4('169.254.169.254/32', 'link-local (cloud metadata)'),
  v4('0.0.0.0/8', 'unspecified ("this network")'),
  v4('10.0.0.0/8', 'private'),
  v4('100.64.0.0/10', 'shared address space (carrier-grade NAT)'),
  v4('127.0.0.0/8', 'loopback'),
  v4('169.254.0.0/16', 'link-local'),
  v4('172.16.0.0/12', 'private'),
  v4('192.0.0.0/24', 'reserved (IETF protocol assignments)'),
  v4('192.0.2.0/24', 'reserved (documentation)'),
  v4('192.88.99.0/24', 'reserved (6to4 relay anycast)'),
  v4('192.168.0.0/16', 'private'),
  v4('198.18.0.0/15', 'reserved (benchmarking)'),
  v4('198.51.100.0/24', 'reserved (documentation)'),
  v4('203.0.113.0/24', 'reserved (documentation)'),
  v4('224.0.0.0/4', 'multicast'),
  v4('240.0.0.0/4', 'reserved'),
];

/** Parses dotted-quad IPv4 into an unsigned 32-bit number, or undefined. */
function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

function ipv4Reason(value: number): string | null {
  for (const range of IPV4_RANGES) {
    const mask = range.bits === 0 ? 0 : (0xffffffff << (32 - range.bits)) >>> 0;
    if (((value & mask) >>> 0) === ((range.base & mask) >>> 0)) return range.reason;
  }
  return null;
}

/** Parses an IPv6 address (optionally with a trailing dotted quad or a `%zone`) into 8 groups. */
function parseIpv6(text: string): number[] | undefined {
  let address = text;
  const zone = address.indexOf('%');
  if (zone >= 0) address = address.slice(0, zone);
  if (isIP(address) !== 6) return undefined;
  const lastColon = address.lastIndexOf(':');
  const last = address.slice(lastColon + 1);
  if (last.includes('.')) {
    // Rewrite a trailing dotted quad as two hex groups, then parse one way.
    const quad = parseIpv4(last);
    if (quad === undefined) return undefined;
    address = `${address.slice(0, lastColon + 1)}${(quad >>> 16).toString(16)}:${(quad & 0xffff).toString(16)}`;
  }
  const [head = '', rest] = address.split('::');
  const toGroups = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const before = toGroups(head);
  const after = rest === undefined ? [] : toGroups(rest);
  const missing = 8 - before.length - after.length;
  if (rest === undefined ? missing !== 0 : missing < 0) return undefined;
  return [...before, ...new Array<number>(missing).fill(0), ...after];
}

function embeddedIpv4(groups: readonly number[], index: number): number {
  return ((groups[index] ?? 0) * 0x10000 + (groups[index + 1] ?? 0)) >>> 0;
}

function ipv6Reason(groups: readonly number[]): { reason: string; ipv4?: number } | null {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
  const firstFiveZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (firstFiveZero && g5 === 0xffff) return { reason: 'IPv4-mapped', ipv4: embeddedIpv4(groups, 6) };
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0xffff && g5 === 0) {
    return { reason: 'IPv4-translated', ipv4: embeddedIpv4(groups, 6) };
  }
  if (firstFiveZero && g5 === 0 && g6 === 0) {
    if (g7 === 0) return { reason: 'unspecified' };
    if (g7 === 1) return { reason: 'loopback' };
  }
  if (firstFiveZero && g5 === 0) return { reason: 'reserved (IPv4-compatible, deprecated)' };
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    return { reason: 'NAT64', ipv4: embeddedIpv4(groups, 6) };
  }
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return { reason: 'private (local-use NAT64)' };
  if (g0 === 0x2002) return { reason: '6to4', ipv4: embeddedIpv4(groups, 1) };
  if (g0 === 0x2001 && g1 === 0) return { reason: 'reserved (Teredo)' };
  if (g0 === 0x2001 && g1 === 0x2 && g2 === 0) return { reason: 'reserved (benchmarking)' };
  if (g0 === 0x2001 && (g1 & 0xfff0) === 0x10) return { reason: 'reserved (ORCHID, deprecated)' };
  if (g0 === 0x2001 && g1 === 0xdb8) return { reason: 'reserved (documentation)' };
  if (g0 === 0x3fff && (g1 & 0xf000) === 0) return { reason: 'reserved (documentation)' };
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return { reason: 'reserved (discard-only)' };
  if ((g0 & 0xfe00) === 0xfc00) return { reason: 'private (unique local)' };
  if ((g0 & 0xffc0) === 0xfe80) return { reason: 'link-local' };
  if ((g0 & 0xffc0) === 0xfec0) return { reason: 'private (site-local, deprecated)' };
  if ((g0 & 0xff00) === 0xff00) return { reason: 'multicast' };
  // Only global unicast (2000::/3) is public.
  if ((g0 & 0xe000) !== 0x2000) return { reason: 'reserved (not global unicast)' };
  return null;
}

/**
 * Why an IP address may not be a webhook destination, or null when it is public.
 * IPv4: loopback, RFC 1918 private, link-local (incl. 169.254.169.254 cloud metadata), carrier-grade
 * NAT, unspecified, documentation/benchmarking/reserved, multicast, broadcast. IPv6: `::`, `::1`,
 * unique local fc00::/7, link-local fe80::/10, multicast, benchmarking 2001:2::/48, ORCHID 2001:10::/28,
 * documentation 2001:db8::/32 and 3fff::/20, anything outside 2000::/3; IPv4-mapped
 * (`::ffff:a.b.c.d` or hex), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) are judged by the IPv4 they carry.
 * Text that is not an IP address is refused too.
 * @example isDisallowedAddress('10.0.0.5') // '10.0.0.5 is private'
 */
export function isDisallowedAddress(ip: string): string | null {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const ipv4 = parseIpv4(bare);
  if (ipv4 !== undefined) {
    const reason = ipv4Reason(ipv4);
    return reason === null ? null : `${bare} is ${reason}`;
  }
  const groups = parseIpv6(bare);
  if (groups === undefined) return `${bare} is not an IP address`;
  const verdict = ipv6Reason(groups);
  if (verdict === null) return null;
  if (verdict.ipv4 === undefined) return `${bare} is ${verdict.reason}`;
  const inner = ipv4Reason(verdict.ipv4);
  return inner === null ? null : `${bare} is ${verdict.reason} ${formatIpv4(verdict.ipv4)}, which is ${inner}`;
}

/**
 * Checks a webhook URL before any connection: a parseable URL, scheme `https` (or `http` when
 * allowed), and, for IP-literal hosts (which `net.connect` never passes to `lookup`), a public
 * address. Hostnames are checked later, on the resolved addresses, by {@link createGuardedLookup}.
 * Returns the reason it is refused, or null.
 */
export function checkUrl(url: string | URL, policy: DestinationPolicy): string | null {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return 'not a valid URL';
  }
  if (parsed.protocol === 'http:') {
    if (!policy.allowHttp) return 'http URLs are not allowed (only https; see HOOKPOST_ALLOW_HTTP)';
  } else if (parsed.protocol !== 'https:') {
    return `scheme ${parsed.protocol.slice(0, -1)} is not allowed (only https)`;
  }
  if (parsed.hostname === '') return 'the URL has no host';
  if (policy.allowPrivateTargets) return null;
  // The WHATWG parser already normalized 0x7f.1, 2130706433, [::ffff:127.0.0.1] and the like.
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  if (isIP(host) === 0) return null;
  const reason = isDisallowedAddress(host);
  return reason === null ? null : `Destination not allowed: ${reason}`;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for `net.connect` / undici's `connect` option (the callback form of `dns.lookup`). */
export type GuardedLookup = (
  hostname: string,
  options: LookupOneOptions | LookupAllOptions | number | undefined,
  callback: LookupCallback,
) => void;

/** The error a refused lookup fails with (`code` is HOOKPOST_ERR_DESTINATION_REFUSED). */
export class DestinationRefusedError extends HookpostError {
  constructor(reason: string) {
    super(ErrorCode.DESTINATION_REFUSED, `Destination not allowed: ${reason}`);
    this.name = 'DestinationRefusedError';
  }
}

/**
 * A DNS lookup for sockets that resolves every address of the host (`dns.lookup`, all: true) and
 * refuses the connection when ANY of them is disallowed (unless private targets are allowed), so a
 * host cannot mix a public and a private answer and get the private one connected to.
 * Answers as `net` asks: all addresses when `options.all`, else the first one.
 */
export function createGuardedLookup(policy: Pick<DestinationPolicy, 'allowPrivateTargets'>): GuardedLookup {
  return (hostname, options, callback) => {
    const opts = typeof options === 'number' ? { family: options } : (options ?? {});
    const wantAll = 'all' in opts && opts.all === true;
    dnsLookup(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) {
        callback(err, wantAll ? [] : '');
        return;
      }
      if (!policy.allowPrivateTargets) {
        for (const { address } of addresses) {
          const reason = isDisallowedAddress(address);
          if (reason !== null) {
            callback(new DestinationRefusedError(reason), wantAll ? [] : '');
            return;
          }
        }
      }
      const first = addresses[0];
      if (!first) {
        const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
        error.code = 'ENOTFOUND';
        callback(error, wantAll ? [] : '');
        return;
      }
      if (wantAll) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}
