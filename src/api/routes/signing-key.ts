/**
 * `GET /v2.1/signing-key`: the public Ed25519 key and keyid deliveries are signed with. Public
 * (no token): receivers fetch it to verify signatures, and it holds nothing secret.
 */
import { z } from 'zod';
import { jsonResponse, toJsonSchema } from '../openapi.js';
import type { RouteModule } from '../route-contract.js';

/** `GET /v2.1/signing-key`'s answer. */
export const signingKeySchema = z.object({ alg: z.literal('ed25519'), keyid: z.string(), public_key_pem: z.string() });

export const signingKeyRoutes: RouteModule = {
  name: 'signing-key',

  register(app, { deps }) {
    // Picked field by field so nothing else on the object can ever be served.
    const body = { alg: deps.publicKey.alg, keyid: deps.publicKey.keyid, public_key_pem: deps.publicKey.public_key_pem };
    app.get('/v2.1/signing-key', { config: { public: true } }, async () => body);
  },

  components: () => ({ SigningKey: toJsonSchema(signingKeySchema, 'output') }),

  openapi() {
    return {
      '/v2.1/signing-key': {
        get: {
          operationId: 'signing_key_get',
          summary: 'The public key that signs deliveries (no token needed)',
          security: [],
          responses: { '200': jsonResponse('the public key', 'SigningKey') },
        },
      },
    };
  },
};
