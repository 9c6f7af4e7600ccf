/** The management API: what entrypoints and tests use. */
export { buildApp, type BuildAppOptions, routesOf, type RouteEntry } from './app.js';
export type { ApiDeps, DeliveryLogDeps, PublicSigningKey, RouteContext, RouteModule } from './route-contract.js';
export { ROUTE_MODULES } from './routes/index.js';
export { findUiDir } from './routes/ui.js';
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
export type { OpenApiDocument, OpenApiPaths } from './openapi.js';
export { buildOpenApiDocument } from './openapi-document.js';
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
