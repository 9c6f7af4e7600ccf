/** `GET /v2.1/signing-keys`: the published key set for rotation; `/v2.1/signing-key` stays the current key. */
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { type ApiDeps, buildApp } from '../../../src/api/index.js';
import { ErrorCode } from '../../../src/errors.js';
import { createSigner } from '../../../src/signing/index.js';
import { type ApiHarness as Harness, startApi } from '../../helpers/app.js';

const signer = createSigner([generateKeyPairSync('ed25519').privateKey, generateKeyPairSync('ed25519').privateKey]);
const [current, next] = signer.publicKeys as [(typeof signer.publicKeys)[0], (typeof signer.publicKeys)[0]];

describe('GET /v2.1/signing-keys', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('lists every key, the signing one first, without a token and nothing else of the key objects', async () => {
    h = await startApi({
      publicKey: current,
      publicKeys: [current, Object.assign({ ...next }, { privateKey: 'MUST-NOT-LEAK' })],
    });
    const res = await h.app.inject({ method: 'GET', url: '/v2.1/signing-keys' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/json');
    expect(res.json()).toEqual({
      current_keyid: current.keyid,
      keys: [
        { alg: 'ed25519', keyid: current.keyid, public_key_pem: current.public_key_pem },
        { alg: 'ed25519', keyid: next.keyid, public_key_pem: next.public_key_pem },
      ],
    });
    expect(res.body).not.toContain('MUST-NOT-LEAK');

    // The one-key endpoint stays, serving the current key.
    const one = await h.app.inject({ method: 'GET', url: '/v2.1/signing-key' });
    expect(one.json()).toEqual({ alg: 'ed25519', keyid: current.keyid, public_key_pem: current.public_key_pem });
  });

  it('is the current key alone when only one is configured', async () => {
    h = await startApi({ publicKey: current });
    const res = await h.app.inject({ method: 'GET', url: '/v2.1/signing-keys' });
    expect(res.json()).toEqual({ current_keyid: current.keyid, keys: [current] });
  });

  it('refuses to build with a key list that does not begin with the signing key', async () => {
    h = await startApi({ publicKey: current });
    expect(() => buildApp({ ...h?.deps, publicKey: current, publicKeys: [next, current] } as ApiDeps)).toThrow(
      expect.objectContaining({ code: ErrorCode.CONFIG_INVALID }),
    );
  });

  it('is in the OpenAPI document as a public operation with its schema', async () => {
    h = await startApi({ publicKey: current, publicKeys: [current, next] });
    const doc = (await h.app.inject({ method: 'GET', url: '/v2.1/openapi.json' })).json();
    expect(doc.paths['/v2.1/signing-keys'].get).toMatchObject({
      operationId: 'signing_keys_list',
      security: [],
      responses: { '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/SigningKeySet' } } } } },
    });
    const schema = doc.components.schemas.SigningKeySet;
    expect(schema.required.sort()).toEqual(['current_keyid', 'keys']);
    expect(schema.properties.keys.items.required.sort()).toEqual(['alg', 'keyid', 'public_key_pem']);
  });
});
