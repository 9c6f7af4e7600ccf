import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OWNED_HEADERS, PIPELINE_OWNED_HEADERS, type SignedAttempt, defaultSignatureSchemes } from '../../../src/delivery/index.js';
import { createSigner, requestTarget } from '../../../src/signing/index.js';

const signer = createSigner(generateKeyPairSync('ed25519').privateKey);
const attempt = (secret: SignedAttempt['secret']): SignedAttempt => ({
  deliveryId: 'd-1',
  project: 'demo',
  target: requestTarget('https://h.example/in'),
  body: Buffer.from('{"a":1}'),
  createdSeconds: 1_767_225_600,
  secret,
});

describe('signature schemes', () => {
  it('set exactly the headers they own, which a webhook may not configure', () => {
    for (const scheme of defaultSignatureSchemes(signer)) {
      const headers = scheme.headersFor(attempt({ current: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }));
      expect(Object.keys(headers).sort(), scheme.name).toEqual([...scheme.ownedHeaders].sort());
      for (const name of scheme.ownedHeaders) {
        expect(PIPELINE_OWNED_HEADERS, name).toContain(name);
        expect(OWNED_HEADERS, name).toContain(name);
      }
    }
  });

  it('sign with the attempt time and delivery id; Standard Webhooks signs only with a secret', () => {
    const [rfc9421, standard] = defaultSignatureSchemes(signer);
    expect(rfc9421?.headersFor(attempt(null))['signature-input']).toContain('created=1767225600');
    // The delivery id and the project are covered components, sent as signed.
    expect(rfc9421?.headersFor(attempt(null))).toMatchObject({ 'hookpost-delivery-id': 'd-1', 'hookpost-project': 'demo' });
    expect(rfc9421?.headersFor(attempt(null))['signature-input']).toContain('"date" "hookpost-delivery-id" "hookpost-project");');
    expect(standard?.headersFor(attempt(null))).toEqual({ 'webhook-id': 'd-1', 'webhook-timestamp': '1767225600' });
    expect(standard?.headersFor(attempt({ current: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }))['webhook-signature']).toMatch(/^v1,/);
  });
});
