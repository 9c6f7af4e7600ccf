import { createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSigner, requestTarget } from '../../../src/signing/index.js';
import { type VerifyOptions, type VerifyRequest, verify } from '../../../src/signing/verify.js';
import { type SignatureVector, bodyOf, signedFieldsOf, vectors } from './vectors.js';

const CREATED = 1_767_225_600;
const clockAt = (unixSeconds: number) => () => unixSeconds * 1000;
const options: VerifyOptions = { publicKey: vectors.key.public_key_pem, now: clockAt(CREATED + 30) };

function requestOf(vector: SignatureVector): VerifyRequest {
  return { method: vector.method, url: vector.target_uri, headers: { ...vector.headers }, body: bodyOf(vector) };
}

const signer = createSigner(createPrivateKey(vectors.key.private_key_pem));
const wrongSigner = createSigner(createPrivateKey(vectors.wrong_key.private_key_pem));

function signedRequest(url = 'https://hooks.example.com/in?x=1', body = '{"event":"x"}', created = CREATED): VerifyRequest {
  const target = requestTarget(url);
  const headers = signer.sign('POST', target, Buffer.from(body), { created });
  return {
    method: 'POST',
    url: target.targetUri,
    headers: { host: target.authority, 'content-type': 'application/json', ...headers },
    body,
  };
}

describe('verify: vectors', () => {
  for (const vector of vectors.cases) {
    it(`accepts positive vector ${vector.id}`, async () => {
      const result = await verify(requestOf(vector), options);
      const signed = signedFieldsOf(vector);
      expect(result).toStrictEqual({
        ok: true,
        keyid: vectors.key.keyid,
        created: vector.created,
        label: vector.signature_input.slice(0, vector.signature_input.indexOf('=')),
        ...signed,
      });
    });
  }

  it('accepts a vector given as a Fetch Headers object, the raw public key, and the original URL', async () => {
    const vector = vectors.cases[0]!;
    const result = await verify(
      { method: 'POST', url: vector.url, headers: new Headers(vector.headers), body: vector.body },
      { publicKey: Buffer.from(vectors.key.public_key_raw_base64, 'base64'), now: clockAt(CREATED) },
    );
    expect(result.ok).toBe(true);
  });

  it.each([
    ['N1-tampered-body', 'digest_mismatch'],
    ['N2-wrong-key', 'bad_signature'],
    ['N3-date-not-covered', 'component_not_covered'],
    ['N4-delivery-id-replaced', 'bad_signature'],
    ['N5-project-replaced', 'bad_signature'],
  ])('rejects negative vector %s with %s', async (id, reason) => {
    const vector = vectors.negative_cases.find((v) => v.id === id)!;
    const result = await verify(requestOf(vector), options);
    expect(result).toMatchObject({ ok: false, reason });
  });
});

describe('verify: the signed delivery id and project', () => {
  const current = vectors.cases.find((v) => v.id === 'D1-delivery-id-and-project-sha512')!;
  const legacy = vectors.cases.find((v) => v.id === 'P1-root-with-port-sha512')!;

  it('returns them when covered, and accepts the older component list without them', async () => {
    expect(await verify(requestOf(current), options)).toMatchObject({
      ok: true,
      deliveryId: current.headers['Hookpost-Delivery-Id'],
      project: 'demo',
    });
    const older = await verify(requestOf(legacy), options);
    expect(older.ok).toBe(true);
    expect(older).not.toHaveProperty('deliveryId');
    expect(older).not.toHaveProperty('project');
  });

  it('with the project option: accepts the signed project, refuses another one or none', async () => {
    expect(await verify(requestOf(current), { ...options, project: 'demo' })).toMatchObject({ ok: true, project: 'demo' });
    expect(await verify(requestOf(current), { ...options, project: 'other' })).toMatchObject({
      ok: false,
      reason: 'project_mismatch',
      message: 'the delivery is signed for project "demo", not "other"',
    });
    expect(await verify(requestOf(legacy), { ...options, project: 'demo' })).toMatchObject({
      ok: false,
      reason: 'component_not_covered',
    });
    // An unsigned Hookpost-Project header added to an older signature is not taken for a signed one.
    const added = { ...requestOf(legacy), headers: { ...legacy.headers, 'Hookpost-Project': 'demo' } };
    expect(await verify(added, { ...options, project: 'demo' })).toMatchObject({ ok: false, reason: 'component_not_covered' });
    await expect(verify(requestOf(current), { ...options, project: '' })).rejects.toThrow(TypeError);
  });

  it('rejects a delivery whose covered delivery id header is missing', async () => {
    const { 'Hookpost-Delivery-Id': _dropped, ...headers } = current.headers;
    expect(await verify({ ...requestOf(current), headers }, options)).toMatchObject({ ok: false, reason: 'component_missing' });
  });
});

describe('verify: round trip with the signer', () => {
  it('accepts what the signer produced', async () => {
    const result = await verify(signedRequest(), options);
    expect(result).toEqual({ ok: true, keyid: signer.keyid, created: CREATED, label: 'pyhms' });
  });

  it('accepts Node-style lower-case headers with array values of one element and a string body', async () => {
    const request = signedRequest();
    const headers = Object.fromEntries(
      Object.entries(request.headers as Record<string, string>).map(([k, v]) => [k.toLowerCase(), [v]]),
    );
    expect((await verify({ ...request, headers }, options)).ok).toBe(true);
  });

  it('rejects a tampered URL', async () => {
    const request = signedRequest('https://hooks.example.com/in?x=1');
    const result = await verify({ ...request, url: 'https://hooks.example.com/in?x=2' }, options);
    expect(result).toMatchObject({ ok: false, reason: 'bad_signature' });
    const otherHost = await verify({ ...request, url: 'https://evil.example.com/in?x=1' }, options);
    expect(otherHost).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('compares the method upper-cased, as the Python receiver (requests) does', async () => {
    expect((await verify({ ...signedRequest(), method: 'post' }, options)).ok).toBe(true);
  });

  it('rejects a tampered method', async () => {
    expect(await verify({ ...signedRequest(), method: 'PUT' }, options)).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a tampered Date header', async () => {
    const request = signedRequest();
    const headers = { ...(request.headers as Record<string, string>), date: 'Thu, 01 Jan 2026 00:00:01 GMT' };
    expect(await verify({ ...request, headers }, options)).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a stale created (> 24 h) and accepts one just inside the window', async () => {
    const request = signedRequest();
    expect(await verify(request, { ...options, now: clockAt(CREATED + 86_401) })).toMatchObject({
      ok: false,
      reason: 'created_too_old',
    });
    expect((await verify(request, { ...options, now: clockAt(CREATED + 86_400) })).ok).toBe(true);
    expect(await verify(request, { ...options, now: clockAt(CREATED + 61), maxAgeSeconds: 60 })).toMatchObject({
      ok: false,
      reason: 'created_too_old',
    });
  });

  it('throws on maxAgeSeconds / maxFutureSeconds that are not finite numbers of seconds ≥ 0, or a clock giving NaN (they would skip the time checks)', async () => {
    const request = signedRequest();
    const aYearLater = clockAt(CREATED + 365 * 86_400);
    for (const name of ['maxAgeSeconds', 'maxFutureSeconds'] as const) {
      for (const value of [Number.NaN, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, -5, '60' as unknown as number]) {
        await expect(verify(request, { ...options, now: aYearLater, [name]: value })).rejects.toThrow(
          new RegExp(`^${name} must be a finite number of seconds, 0 or more \\(got (NaN|-?Infinity|-5|"60")\\)$`),
        );
      }
    }
    await expect(verify(request, { ...options, now: () => Number.NaN })).rejects.toThrow(
      /^now\(\) must return finite milliseconds since the epoch \(got NaN\)$/,
    );
    // 0 is a valid (strict) window.
    expect(await verify(request, { ...options, now: clockAt(CREATED), maxAgeSeconds: 0, maxFutureSeconds: 0 })).toMatchObject({ ok: true });
    expect(await verify(request, { ...options, now: aYearLater, maxAgeSeconds: 0 })).toMatchObject({ ok: false, reason: 'created_too_old' });
  });

  it('rejects a created more than 5 s in the future and accepts 5 s', async () => {
    const request = signedRequest();
    expect(await verify(request, { ...options, now: clockAt(CREATED - 6) })).toMatchObject({
      ok: false,
      reason: 'created_in_future',
    });
    expect((await verify(request, { ...options, now: clockAt(CREATED - 5) })).ok).toBe(true);
  });

  it('rejects an expired signature', async () => {
    const target = requestTarget('https://h.example/x');
    const headers = signer.sign('POST', target, new Uint8Array(), { created: CREATED, expires: CREATED + 10 });
    const request = { method: 'POST', url: target.targetUri, headers: { ...headers }, body: '' };
    expect((await verify(request, { ...options, now: clockAt(CREATED + 10) })).ok).toBe(true);
    expect(await verify(request, { ...options, now: clockAt(CREATED + 11) })).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('rejects a signature made with another key (keyid names that key)', async () => {
    const target = requestTarget('https://h.example/x');
    const headers = wrongSigner.sign('POST', target, new Uint8Array(), { created: CREATED });
    const result = await verify({ method: 'POST', url: target.targetUri, headers: { ...headers }, body: '' }, options);
    expect(result).toMatchObject({ ok: false, reason: 'keyid_mismatch' });
  });

  it('rejects a modified body even when the digest is recomputed', async () => {
    const request = signedRequest();
    const result = await verify({ ...request, body: '{"event":"y"}' }, options);
    expect(result).toMatchObject({ ok: false, reason: 'digest_mismatch' });
  });
});

describe('verify: header shapes', () => {
  const base = signedRequest();
  const baseHeaders = base.headers as Record<string, string>;
  const withHeaders = (changes: Record<string, string | string[] | undefined>): VerifyRequest => ({
    ...base,
    headers: { ...baseHeaders, ...changes },
  });
  const second = signedRequest('https://hooks.example.com/in?x=1', '{"event":"x"}', CREATED + 1);
  const secondHeaders = second.headers as Record<string, string>;

  it.each<[string, Record<string, string | string[] | undefined>, string]>([
    ['no Signature', { signature: undefined }, 'missing_signature'],
    ['no Signature-Input', { 'signature-input': undefined }, 'missing_signature'],
    [
      'two signatures in one header',
      {
        'signature-input': `${baseHeaders['signature-input']}, ${secondHeaders['signature-input']!.replace('pyhms=', 'sig2=')}`,
        signature: `${baseHeaders.signature}, ${secondHeaders.signature!.replace('pyhms=', 'sig2=')}`,
      },
      'multiple_signatures',
    ],
    [
      'two signature header lines',
      {
        'signature-input': [baseHeaders['signature-input']!, secondHeaders['signature-input']!.replace('pyhms=', 'sig2=')],
        signature: [baseHeaders.signature!, secondHeaders.signature!.replace('pyhms=', 'sig2=')],
      },
      'multiple_signatures',
    ],
    [
      'the same label twice',
      { 'signature-input': `${baseHeaders['signature-input']}, ${secondHeaders['signature-input']}` },
      'multiple_signatures',
    ],
    ['different labels', { signature: baseHeaders.signature!.replace('pyhms=', 'other=') }, 'malformed'],
    ['garbage Signature-Input', { 'signature-input': 'pyhms=("@method"' }, 'malformed'],
    ['a Signature that is not a byte sequence', { signature: 'pyhms="abc"' }, 'malformed'],
    ['bad base64 in Signature', { signature: 'pyhms=:abc$:' }, 'malformed'],
    ['a short signature', { signature: 'pyhms=:AAAA:' }, 'bad_signature'],
    ['no Content-Digest', { 'content-digest': undefined }, 'digest_missing'],
    ['an md5 Content-Digest', { 'content-digest': 'md5=:AAAAAAAAAAAAAAAAAAAAAA==:' }, 'unsupported_digest'],
    [
      'created missing',
      { 'signature-input': baseHeaders['signature-input']!.replace(`;created=${CREATED}`, '') },
      'created_missing',
    ],
    [
      'created as a string',
      { 'signature-input': baseHeaders['signature-input']!.replace(`;created=${CREATED}`, `;created="${CREATED}"`) },
      'malformed',
    ],
    [
      'keyid missing',
      { 'signature-input': baseHeaders['signature-input']!.replace(/;keyid="[^"]*"/, '') },
      'keyid_mismatch',
    ],
    [
      'another alg',
      { 'signature-input': baseHeaders['signature-input']!.replace('alg="ed25519"', 'alg="rsa-pss-sha512"') },
      'unsupported_alg',
    ],
    [
      'a component with parameters',
      { 'signature-input': baseHeaders['signature-input']!.replace('"content-digest"', '"content-digest";sf') },
      'unsupported_component',
    ],
    [
      'an extra covered header that is absent',
      { 'signature-input': baseHeaders['signature-input']!.replace('"date")', '"date" "x-missing")') },
      'component_missing',
    ],
    [
      'a line break in a header value',
      { date: 'Thu, 01 Jan 2026 00:00:00 GMT\n"@method": GET' },
      'malformed',
    ],
  ])('rejects %s', async (_name, changes, reason) => {
    const result = await verify(withHeaders(changes), options);
    expect(result).toMatchObject({ ok: false, reason });
    if (!result.ok) expect(result.message.length).toBeGreaterThan(0);
  });

  it('checks every member of Content-Digest', async () => {
    const sha256 = 'sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:';
    const result = await verify(withHeaders({ 'content-digest': `${baseHeaders['content-digest']}, ${sha256}` }), options);
    // The digest is checked before the signature: the empty-string sha-256 does not match this body.
    expect(result).toMatchObject({ ok: false, reason: 'digest_mismatch' });
  });

  it('rejects a repeated Content-Digest algorithm as malformed', async () => {
    const digest = baseHeaders['content-digest']!;
    const result = await verify(withHeaders({ 'content-digest': `${digest}, ${digest}` }), options);
    expect(result).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('rejects a relative URL instead of guessing the scheme', async () => {
    expect(await verify({ ...base, url: '/in?x=1' }, options)).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('throws on a configuration error: a private key or garbage as publicKey', async () => {
    await expect(verify(base, { publicKey: vectors.key.private_key_pem })).rejects.toThrow(TypeError);
    await expect(verify(base, { publicKey: 'not a key' })).rejects.toThrow(TypeError);
    await expect(verify(base, { publicKey: new Uint8Array(31) })).rejects.toThrow(TypeError);
  });

  it('does not reuse a cached key for a different key', async () => {
    expect((await verify(base, options)).ok).toBe(true);
    const other = await verify(base, { ...options, publicKey: vectors.wrong_key.public_key_pem });
    expect(other).toMatchObject({ ok: false, reason: 'keyid_mismatch' });
  });
});
