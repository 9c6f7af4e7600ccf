import { describe, expect, it } from 'vitest';
import { checkUrl, createGuardedLookup, isDisallowedAddress } from '../../../src/delivery/index.js';

describe('isDisallowedAddress', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1 is loopback'],
    ['127.8.9.10', '127.8.9.10 is loopback'],
    ['10.0.0.5', '10.0.0.5 is private'],
    ['172.16.0.1', '172.16.0.1 is private'],
    ['172.31.255.255', '172.31.255.255 is private'],
    ['192.168.1.1', '192.168.1.1 is private'],
    ['169.254.169.254', '169.254.169.254 is link-local (cloud metadata)'],
    ['169.254.1.2', '169.254.1.2 is link-local'],
    ['100.64.0.1', '100.64.0.1 is shared address space (carrier-grade NAT)'],
    ['100.127.255.254', '100.127.255.254 is shared address space (carrier-grade NAT)'],
    ['0.0.0.0', '0.0.0.0 is unspecified ("this network")'],
    ['224.0.0.1', '224.0.0.1 is multicast'],
    ['240.0.0.1', '240.0.0.1 is reserved'],
    ['255.255.255.255', '255.255.255.255 is broadcast'],
    ['192.0.2.10', '192.0.2.10 is reserved (documentation)'],
    ['198.18.0.1', '198.18.0.1 is reserved (benchmarking)'],
    ['::1', '::1 is loopback'],
    ['::', ':: is unspecified'],
    ['fc00::1', 'fc00::1 is private (unique local)'],
    ['fd00:ec2::254', 'fd00:ec2::254 is private (unique local)'],
    ['fe80::1', 'fe80::1 is link-local'],
    ['fe80::1%eth0', 'fe80::1%eth0 is link-local'],
    ['ff02::1', 'ff02::1 is multicast'],
    ['::ffff:127.0.0.1', '::ffff:127.0.0.1 is IPv4-mapped 127.0.0.1, which is loopback'],
    ['::ffff:7f00:1', '::ffff:7f00:1 is IPv4-mapped 127.0.0.1, which is loopback'],
    ['::ffff:a9fe:a9fe', '::ffff:a9fe:a9fe is IPv4-mapped 169.254.169.254, which is link-local (cloud metadata)'],
    ['[::ffff:10.1.2.3]', '::ffff:10.1.2.3 is IPv4-mapped 10.1.2.3, which is private'],
    ['64:ff9b::10.0.0.1', '64:ff9b::10.0.0.1 is NAT64 10.0.0.1, which is private'],
    ['2002:7f00:1::', '2002:7f00:1:: is 6to4 127.0.0.1, which is loopback'],
    ['::127.0.0.1', '::127.0.0.1 is reserved (IPv4-compatible, deprecated)'],
    ['2001:db8::1', '2001:db8::1 is reserved (documentation)'],
    ['2001:0::1', '2001:0::1 is reserved (Teredo)'],
    ['not-an-ip', 'not-an-ip is not an IP address'],
  ])('%s -> %s', (ip, reason) => {
    expect(isDisallowedAddress(ip)).toBe(reason);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '169.255.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'])(
    '%s is public',
    (ip) => {
      expect(isDisallowedAddress(ip)).toBeNull();
    },
  );
});

// IANA IPv6 special-purpose ranges that are not globally reachable: benchmarking 2001:2::/48 (RFC 5180),
// ORCHID 2001:10::/28 (RFC 4843, deprecated), documentation 3fff::/20 (RFC 9637). They carry no IPv4
// address, so unlike private IPv4 ranges they have no IPv4-mapped, NAT64 or 6to4 form.
describe('isDisallowedAddress: IPv6 benchmarking, ORCHID and documentation ranges', () => {
  const BENCHMARKING = 'reserved (benchmarking)';
  const ORCHID = 'reserved (ORCHID, deprecated)';
  const DOCUMENTATION = 'reserved (documentation)';
  it.each([
    // 2001:2::/48, first and last address, every spelling the parser takes.
    ['2001:2::', BENCHMARKING],
    ['2001:2::1', BENCHMARKING],
    ['2001:2:0:ffff:ffff:ffff:ffff:ffff', BENCHMARKING],
    ['2001:0002:0000:0000:0000:0000:0000:0001', BENCHMARKING],
    ['2001:2:0:0:0:0:0:1', BENCHMARKING],
    ['2001:2::C0A8:1', BENCHMARKING],
    ['2001:2::192.168.0.1', BENCHMARKING],
    ['[2001:2::1]', BENCHMARKING],
    ['2001:2::1%eth0', BENCHMARKING],
    // 2001:10::/28
    ['2001:10::', ORCHID],
    ['2001:10::1', ORCHID],
    ['2001:1f:ffff:ffff:ffff:ffff:ffff:ffff', ORCHID],
    ['2001:0018:0000::0001', ORCHID],
    ['2001:1A::1', ORCHID],
    ['2001:1b::10.0.0.1', ORCHID],
    ['[2001:10::1]', ORCHID],
    ['2001:10::1%2', ORCHID],
    // 3fff::/20
    ['3fff::', DOCUMENTATION],
    ['3fff::1', DOCUMENTATION],
    ['3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff', DOCUMENTATION],
    ['3FFF:0ABC::1', DOCUMENTATION],
    ['3fff:0:0:0:0:0:0:1', DOCUMENTATION],
    ['3fff::8.8.8.8', DOCUMENTATION],
    ['[3fff::1]', DOCUMENTATION],
    ['3fff::1%eth0', DOCUMENTATION],
  ])('%s is %s', (ip, reason) => {
    const bare = ip.startsWith('[') ? ip.slice(1, -1) : ip;
    expect(isDisallowedAddress(ip)).toBe(`${bare} is ${reason}`);
  });

  it.each([
    // Neighbours just outside each range stay public.
    '2001:2:1::1',
    '2001:1:ffff:ffff:ffff:ffff:ffff:ffff',
    '2001:f:ffff:ffff:ffff:ffff:ffff:ffff',
    '2001:20::1',
    '3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    '3fff:1000::1',
  ])('%s, just outside, is public', (ip) => {
    expect(isDisallowedAddress(ip)).toBeNull();
  });

  it.each([
    ['https://[2001:2::1]/hook', '2001:2::1 is reserved (benchmarking)'],
    ['https://[2001:0002:0000:0000:0000:0000:0000:0001]:8443/hook', '2001:2::1 is reserved (benchmarking)'],
    ['https://[2001:2::192.168.0.1]/', '2001:2::c0a8:1 is reserved (benchmarking)'],
    ['https://[2001:10::1]/hook', '2001:10::1 is reserved (ORCHID, deprecated)'],
    ['https://[2001:1F:FFFF::]/', '2001:1f:ffff:: is reserved (ORCHID, deprecated)'],
    ['https://[3fff::1]/hook', '3fff::1 is reserved (documentation)'],
    ['https://[3FFF:0FFF::8.8.8.8]/', '3fff:fff::808:808 is reserved (documentation)'],
  ])('checkUrl refuses the IP literal in %s', (url, reason) => {
    const strict = { allowHttp: false, allowPrivateTargets: false };
    expect(checkUrl(url, strict)).toBe(`Destination not allowed: ${reason}`);
    expect(checkUrl(url, { ...strict, allowPrivateTargets: true })).toBeNull();
  });
});

describe('checkUrl', () => {
  const strict = { allowHttp: false, allowPrivateTargets: false };

  it('allows https to a public host or address', () => {
    expect(checkUrl('https://example.com/hook', strict)).toBeNull();
    expect(checkUrl('https://8.8.8.8/hook', strict)).toBeNull();
  });

  it('refuses http unless allowed, and any other scheme', () => {
    expect(checkUrl('http://example.com/', strict)).toMatch(/^http URLs are not allowed/);
    expect(checkUrl('http://example.com/', { ...strict, allowHttp: true })).toBeNull();
    expect(checkUrl('ftp://example.com/', { allowHttp: true, allowPrivateTargets: true })).toMatch(/scheme ftp is not allowed/);
    expect(checkUrl('not a url', strict)).toBe('not a valid URL');
  });

  it.each([
    ['https://127.0.0.1/', 'Destination not allowed: 127.0.0.1 is loopback'],
    ['https://2130706433/', 'Destination not allowed: 127.0.0.1 is loopback'],
    ['https://0x7f.1/', 'Destination not allowed: 127.0.0.1 is loopback'],
    ['https://[::1]:8443/', 'Destination not allowed: ::1 is loopback'],
    ['https://[::ffff:127.0.0.1]/', 'Destination not allowed: ::ffff:7f00:1 is IPv4-mapped 127.0.0.1, which is loopback'],
    ['https://169.254.169.254/latest/meta-data', 'Destination not allowed: 169.254.169.254 is link-local (cloud metadata)'],
  ])('refuses the IP literal in %s', (url, reason) => {
    expect(checkUrl(url, strict)).toBe(reason);
    expect(checkUrl(url, { ...strict, allowPrivateTargets: true })).toBeNull();
  });
});

describe('guarded lookup', () => {
  const lookupAll = (allowPrivateTargets: boolean, host: string) =>
    new Promise<{ err: NodeJS.ErrnoException | null; addresses: unknown }>((resolve) => {
      createGuardedLookup({ allowPrivateTargets })(host, { all: true }, (err, addresses) => resolve({ err, addresses }));
    });

  it('refuses a name that resolves to loopback', async () => {
    const { err } = await lookupAll(false, 'localhost');
    expect(err?.code).toBe('HOOKPOST_ERR_DESTINATION_REFUSED');
    expect(err?.message).toMatch(/^Destination not allowed: (127\.0\.0\.1|::1) is loopback$/);
  });

  it('resolves it when private targets are allowed, in both callback forms', async () => {
    const { err, addresses } = await lookupAll(true, 'localhost');
    expect(err).toBeNull();
    expect(Array.isArray(addresses)).toBe(true);
    const one = await new Promise<{ address: unknown; family: unknown }>((resolve) => {
      createGuardedLookup({ allowPrivateTargets: true })('localhost', { family: 4 }, (_err, address, family) =>
        resolve({ address, family }),
      );
    });
    expect(one).toEqual({ address: '127.0.0.1', family: 4 });
  });

  it('passes DNS errors through', async () => {
    const { err } = await lookupAll(false, 'nothing.invalid');
    expect(err?.code).toMatch(/^(ENOTFOUND|EAI_AGAIN)$/);
  });
});
