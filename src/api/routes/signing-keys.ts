/**
 * `GET /v2.1/signing-keys`: every public key deliveries may be signed with, the signing one first.
 * Receivers that trust the whole set keep verifying through a rotation: the next key is published
 * here before it signs (README, "Rotating the signing key"). Public (no token), like `/v2.1/signing-key`.
 */
import { z } from 'zod';
import { ErrorCode, HookpostError } from '../../errors.js';
import { jsonResponse, toJsonSchema } from '../openapi.js';
import type { RouteModule } from '../route-contract.js';

/** `GET /v2.1/signing-keys`: every public key hookpost may sign with, the signing one first. */
export const signingKeySetSchema = z.object({
  current_keyid: z.string().meta({ description: 'keyid of the key that signs deliveries now (keys[0])' }),
  keys: z
    .array(z.object({ alg: z.literal('ed25519'), keyid: z.string(), public_key_pem: z.string() }))
    .min(1)
    .meta({ description: 'the signing key first, then keys that may sign soon or did recently; trust them all' }),
});

export const signingKeysRoutes: RouteModule = {
  name: 'signing-keys',

  register(app, { deps }) {
    const keys = deps.publicKeys ?? [deps.publicKey];
    if (keys[0]?.keyid !== deps.publicKey.keyid) {
      throw new HookpostError(ErrorCode.CONFIG_INVALID, 'publicKeys must start with publicKey, the key that signs');
    }
    // Picked field by field so nothing else on the objects can ever be served.
    const body = {
      current_keyid: deps.publicKey.keyid,
      keys: keys.map((k) => ({ alg: k.alg, keyid: k.keyid, public_key_pem: k.public_key_pem })),
    };
    app.get('/v2.1/signing-keys', { config: { public: true } }, async () => body);
  },

  components: () => ({ SigningKeySet: toJsonSchema(signingKeySetSchema, 'output') }),

  openapi() {
    return {
      '/v2.1/signing-keys': {
        get: {
          operationId: 'signing_keys_list',
          summary: 'Every public key that may sign deliveries, the signing one first (no token needed)',
          security: [],
          responses: { '200': jsonResponse('the public keys', 'SigningKeySet') },
        },
      },
    };
  },
};
