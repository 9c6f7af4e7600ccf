/** The management API: what entrypoints and tests use. */
export {
  buildApp,
  DEFAULT_ROUTE_MODULES,
  type ApiDeps,
  type BuildAppOptions,
  type PublicSigningKey,
  type RouteContext,
  type RouteModule,
} from './app.js';
export { AUTH_SCHEMES, createTokenCheck, type TokenCheck } from './auth.js';
export { buildOpenApiDocument, type OpenApiDocument, type OpenApiPaths } from './openapi.js';
export { createApiSchemas, LIMITS, RESERVED_HEADER_KEYS, type ApiSchemas } from './schemas.js';
export { toWebhookDetail, type WebhookDetailView } from './views.js';
export {
  createUp42Schemas,
  toUp42Webhook,
  type Up42Envelope,
  type Up42EventTestView,
  type Up42Schemas,
  type Up42WebhookView,
} from './up42.js';
