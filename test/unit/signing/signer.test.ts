import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, verify as verifyBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.js';
import {
  COVERED_COMPONENTS,
  buildSignatureBase,
  contentDigest,
  createSigner,
  formatHttpDate,
  keyIdOf,
  requestTarget,
  serializeSignatureParams,
} from '../../../src/signing/index.js';
import { bodyOf, digestAlgorithmOf, extraParamsOf, labelOf, signedFieldsOf, vectors } from './vectors.js';

const signer = createSigner(createPrivateKey(vectors.key.private_key_pem));

describe('createSigner', () => {
  for (const vector of vectors.cases) {
    it(`reproduces positive vector ${vector.id} byte for byte`, () => {
      const headers = signer.sign(vector.method, requestTarget(vector.url), bodyOf(vector), {
        created: vector.created,
        label: labelOf(vector),
        digestAlgorithm: digestAlgorithmOf(vector),
        ...extraParamsOf(vector),
        ...signedFieldsOf(vector),
      });
      expect(headers['content-digest']).toBe(vector.headers['Content-Digest']);
      expect(headers['hookpost-delivery-id']).toBe(signedFieldsOf(vector).deliveryId);
      expect(headers['hookpost-project']).toBe(signedFieldsOf(vector).project);
      expect(headers.date).toBe(vector.headers['Date']);
      expect(headers['signature-input']).toBe(vector.signature_input);
      expect(headers.signature).toBe(vector.signature);

      // The signature is over exactly the vector's signature base.
      const signature = Buffer.from(headers.signature.slice(labelOf(vector).length + 2, -1), 'base64');
      const publicKey = createPublicKey(vectors.key.public_key_pem);
      expect(verifyBytes(null, Buffer.from(vector.signature_base, 'utf8'), publicKey, signature)).toBe(true);
    });
  }

  it('derives keyid and public key PEM from the private key', () => {
    expect(signer.keyid).toBe(vectors.key.keyid);
    expect(signer.publicKeyPem).toBe(vectors.key.public_key_pem);
  });

  it('defaults to label pyhms, sha-512 and the current second, never ahead of the clock', () => {
    const before = Math.floor(Date.now() / 1000);
    const headers = signer.sign('POST', requestTarget('https://h.example/x'), new Uint8Array());
    const after = Math.floor(Date.now() / 1000);
    const created = Number(/;created=(\d+);/.exec(headers['signature-input'])?.[1]);
    expect(created).toBeGreaterThanOrEqual(before);
    expect(created).toBeLessThanOrEqual(after);
    expect(headers['signature-input'].startsWith('pyhms=("@method" "@authority" "@target-uri" "content-digest" "date");created=')).toBe(true);
    expect(headers['signature-input'].endsWith(`;keyid="${vectors.key.keyid}";alg="ed25519"`)).toBe(true);
    expect(headers.signature).toMatch(/^pyhms=:[A-Za-z0-9+/]{86}==:$/);
    expect(headers['content-digest']).toBe(`sha-512=:${createHash('sha512').update('').digest('base64')}:`);
    expect(headers.date).toBe(formatHttpDate(created));
  });

  it('signs each call afresh: a new created gives a new Date and signature', () => {
    const target = requestTarget('https://h.example/x');
    const body = Buffer.from('{}');
    const first = signer.sign('POST', target, body, { created: 1_767_225_600 });
    const second = signer.sign('POST', target, body, { created: 1_767_225_601 });
    expect(second.date).toBe('Thu, 01 Jan 2026 00:00:01 GMT');
    expect(second.signature).not.toBe(first.signature);
    expect(signer.sign('POST', target, body, { created: 1_767_225_600 })).toEqual(first);
  });

  it('rejects invalid options with SIGNING_FAILED', () => {
    const target = requestTarget('https://h.example/x');
    const body = new Uint8Array();
    expect(() => signer.sign('POST', target, body, { label: 'Bad Label' })).toThrow(
      expect.objectContaining({ code: ErrorCode.SIGNING_FAILED }),
    );
    expect(() => signer.sign('POST', target, body, { nonce: 'é' })).toThrow(
      expect.objectContaining({ code: ErrorCode.SIGNING_FAILED }),
    );
    expect(() => signer.sign('POST', target, body, { created: 1.5 })).toThrow(
      expect.objectContaining({ code: ErrorCode.SIGNING_FAILED }),
    );
    // A rejected `created` must not poison the per-second cache.
    expect(() => signer.sign('POST', target, body, { created: 1.5 })).toThrow(
      expect.objectContaining({ code: ErrorCode.SIGNING_FAILED }),
    );
    // Signed header values must reach the receiver unchanged: printable ASCII, no surrounding spaces.
    for (const bad of [{ deliveryId: 'a\nb' }, { deliveryId: '' }, { project: ' demo' }, { project: 'café' }]) {
      expect(() => signer.sign('POST', target, body, bad), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: ErrorCode.SIGNING_FAILED }),
      );
    }
  });

  it('covers the delivery id and the project when given, after the five required components', () => {
    const target = requestTarget('https://h.example/x');
    const body = Buffer.from('{}');
    const both = signer.sign('POST', target, body, { created: 1_767_225_600, deliveryId: 'd-1', project: 'demo' });
    expect(both['signature-input']).toMatch(
      /^pyhms=\("@method" "@authority" "@target-uri" "content-digest" "date" "hookpost-delivery-id" "hookpost-project"\);created=1767225600;/,
    );
    expect(both).toMatchObject({ 'hookpost-delivery-id': 'd-1', 'hookpost-project': 'demo' });
    const idOnly = signer.sign('POST', target, body, { created: 1_767_225_600, deliveryId: 'd-1' });
    expect(idOnly['signature-input']).toContain('"date" "hookpost-delivery-id");');
    expect(idOnly).not.toHaveProperty('hookpost-project');
    // The per-second cache keeps the component lists apart.
    const legacy = signer.sign('POST', target, body, { created: 1_767_225_600 });
    expect(legacy['signature-input']).toContain('"content-digest" "date");');
    expect(signer.sign('POST', target, body, { created: 1_767_225_600, deliveryId: 'd-1', project: 'demo' })).toEqual(both);
  });

  it('refuses public keys and other key types', () => {
    expect(() => createSigner(createPublicKey(vectors.key.public_key_pem))).toThrow(
      expect.objectContaining({ code: ErrorCode.SIGNING_KEY_PUBLIC }),
    );
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => createSigner(privateKey)).toThrow(expect.objectContaining({ code: ErrorCode.SIGNING_KEY_WRONG_TYPE }));
  });
});

describe('keyIdOf', () => {
  it('is sha512: + hex SHA-512 of the raw public key', () => {
    expect(keyIdOf(Buffer.from(vectors.key.public_key_raw_base64, 'base64'))).toBe(vectors.key.keyid);
    expect(keyIdOf(Buffer.from(vectors.wrong_key.public_key_raw_base64, 'base64'))).toBe(vectors.wrong_key.keyid);
  });

  it('rejects anything but 32 bytes', () => {
    expect(() => keyIdOf(new Uint8Array(31))).toThrow(TypeError);
  });
});

describe('contentDigest', () => {
  it('writes RFC 9530 sha-512 and sha-256 values', () => {
    const body = Buffer.from('{"hello":"world"}');
    expect(contentDigest(body)).toBe(`sha-512=:${createHash('sha512').update(body).digest('base64')}:`);
    expect(contentDigest(body, 'sha-256')).toBe(`sha-256=:${createHash('sha256').update(body).digest('base64')}:`);
    expect(contentDigest(new Uint8Array(), 'sha-256')).toBe('sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:');
  });

  it('matches every vector', () => {
    for (const vector of vectors.cases) {
      expect(contentDigest(bodyOf(vector), digestAlgorithmOf(vector))).toBe(vector.headers['Content-Digest']);
    }
  });
});

describe('signature base', () => {
  it('rebuilds every positive vector base from its parts', () => {
    for (const vector of vectors.cases) {
      const target = requestTarget(vector.url);
      const params = serializeSignatureParams(vector.covered_components, {
        created: vector.created,
        keyid: vectors.key.keyid,
        alg: 'ed25519',
        ...extraParamsOf(vector),
      });
      expect(`${labelOf(vector)}=${params}`).toBe(vector.signature_input);
      const base = buildSignatureBase(
        [
          ['@method', vector.method],
          ['@authority', target.authority],
          ['@target-uri', target.targetUri],
          ['content-digest', vector.headers['Content-Digest'] ?? ''],
          ['date', vector.headers['Date'] ?? ''],
          ...(vector.covered_components.includes('hookpost-delivery-id')
            ? [['hookpost-delivery-id', vector.headers['Hookpost-Delivery-Id'] ?? ''] as const]
            : []),
          ...(vector.covered_components.includes('hookpost-project') ? [['hookpost-project', vector.headers['Hookpost-Project'] ?? ''] as const] : []),
        ],
        params,
      );
      expect(base).toBe(vector.signature_base);
    }
  });

  it('lists the components deliveries cover: the vectors of the current form use exactly these', () => {
    const current = vectors.cases.filter((v) => v.covered_components.length > 5);
    expect(current.length).toBeGreaterThan(0);
    for (const vector of current) expect(vector.covered_components).toEqual([...COVERED_COMPONENTS]);
  });

  it('escapes quotes and backslashes in string parameters', () => {
    expect(serializeSignatureParams(['@method'], { created: 1, keyid: 'a"b\\c', nonce: 'n' })).toBe(
      '("@method");created=1;keyid="a\\"b\\\\c";nonce="n"',
    );
  });

  it('formats IMF-fixdate', () => {
    expect(formatHttpDate(1_767_225_600)).toBe('Thu, 01 Jan 2026 00:00:00 GMT');
    expect(formatHttpDate(0)).toBe('Thu, 01 Jan 1970 00:00:00 GMT');
  });
});
