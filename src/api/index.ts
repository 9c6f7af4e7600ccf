/** The management API: what entrypoints and tests use. */
export {
  buildApp,
  DEFAULT_ROUTE_MODULES,
  type ApiDeps,
  type BuildAppOptions,
  type PublicSigningKey,
  routesOf,
  type RouteContext,
  type RouteEntry,
  type RouteModule,
} from './app.js';
export {
  AUTH_SCHEMES,
  createTokenAuthenticator,
  createTokenCheck,
  type Authentication,
  type ConfiguredToken,
  type TokenCheck,
  type TokenGrant,
} from './auth.js';
export { grantedProjects, PROJECT_PARAMETERS, projectParameterOf } from './project-scope.js';
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
