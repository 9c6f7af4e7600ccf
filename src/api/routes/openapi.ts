/** `GET /v2.1/openapi.json`: the OpenAPI 3.1 document (no token). */
import type { RouteModule } from '../route-contract.js';

export const openApiRoutes: RouteModule = {
  name: 'openapi',

  register(app, ctx) {
    app.get('/v2.1/openapi.json', { config: { public: true } }, async () => ctx.openapi());
  },

  openapi() {
    return {
      '/v2.1/openapi.json': {
        get: {
          operationId: 'openapi_get',
          summary: 'This document',
          security: [],
          responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
    };
  },
};
