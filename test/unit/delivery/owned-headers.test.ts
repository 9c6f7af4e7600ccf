import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RESERVED_HEADER_KEYS } from '../../../src/api/index.js';
import {
  CLIENT_OWNED_HEADERS,
  DELIVERY_ID_HEADER,
  OWNED_HEADERS,
  PIPELINE_OWNED_HEADERS,
  isOwnedHeader,
} from '../../../src/delivery/index.js';
import { createSigner, decodeSecret, requestTarget, standardWebhookHeaders } from '../../../src/signing/index.js';

describe('owned headers', () => {
  it('are the API reserved list, so the two cannot drift', () => {
    expect(RESERVED_HEADER_KEYS).toBe(OWNED_HEADERS);
    expect([...OWNED_HEADERS].sort()).toEqual([...new Set([...PIPELINE_OWNED_HEADERS, ...CLIENT_OWNED_HEADERS])].sort());
  });

  it('include every header the signers produce and the delivery id', () => {
    const signer = createSigner(generateKeyPairSync('ed25519').privateKey);
    const signature = signer.sign('POST', requestTarget('https://h.example/x'), Buffer.from('{}'));
    const standard = standardWebhookHeaders({
      id: 'delivery-1',
      timestampSeconds: 1_767_225_600,
      body: Buffer.from('{}'),
      secrets: [decodeSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')],
    });
    for (const name of [...Object.keys(signature), ...Object.keys(standard), DELIVERY_ID_HEADER]) {
      expect(PIPELINE_OWNED_HEADERS, name).toContain(name);
    }
  });

  it('are lower case and matched in any case', () => {
    for (const name of OWNED_HEADERS) expect(name).toBe(name.toLowerCase());
    expect(isOwnedHeader('Content-Digest')).toBe(true);
    expect(isOwnedHeader('TRANSFER-ENCODING')).toBe(true);
    expect(isOwnedHeader('X-Custom')).toBe(false);
  });
});
