/**
 * The OpenAPI 3.1 document of the API: every route module's paths and the component schemas they
 * refer to (each module brings its own), plus the error body of routes outside a surface.
 */
import { type JsonSchema, type OpenApiDocument, type OpenApiPaths, toJsonSchema } from './openapi.js';
import { errorBodySchema } from './primitives.js';
import type { RouteContext, RouteModule } from './route-contract.js';

/** The document of the modules as registered; `ctx` is the one the modules receive. */
export function buildOpenApiDocument(ctx: RouteContext, modules: readonly RouteModule[]): OpenApiDocument {
  const paths: OpenApiPaths = {};
  const moduleComponents: Record<string, JsonSchema> = {};
  for (const module of modules) {
    Object.assign(paths, module.openapi(ctx));
    Object.assign(moduleComponents, module.components?.(ctx));
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'hookpost management API',
      version: '2.1',
      description:
        'UbiOps v2.1-compatible webhook management (/v2.1/...), and the same registry in the shape UP42\'s SDK ' +
        'calls (/webhooks/events, /workspaces/{workspace_id}/webhooks..., answers in {"data": ..., "error": ...}). ' +
        'Every operation needs "Authorization: Token <token>" or "Authorization: Bearer <token>" ' +
        'except health, metrics, the signing key and this document.',
    },
    components: {
      schemas: {
        Error: toJsonSchema(errorBodySchema, 'output'),
        ...moduleComponents,
      },
      securitySchemes: {
        Token: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'The value "Token <token>" with a token from HOOKPOST_API_TOKENS.',
        },
        Bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'The same tokens as "Authorization: Bearer <token>" (what UP42\'s SDK sends); accepted on every route.',
        },
      },
    },
    security: [{ Token: [] }, { Bearer: [] }],
    paths,
  };
}
