/** The management API: what entrypoints and tests use. */
export { buildApp, type BuildAppOptions, routesOf, type RouteEntry } from './app.js';
export type { ApiDeps, DeliveryLogDeps, PublicSigningKey, RouteContext, RouteModule } from './route-contract.js';
export { COMMON_ROUTE_MODULES } from './routes/index.js';
export { findUiDir } from './routes/ui.js';
export { SURFACES, type Surface } from './surfaces/index.js';
export {
  AUTH_SCHEMES,
  createTokenAuthenticator,
  createTokenCheck,
  type Authentication,
  type ConfiguredToken,
  type TokenCheck,
  type TokenGrant,
} from './auth.js';
export { grantedProjects, projectParameterFinder } from './project-scope.js';
export type { OpenApiDocument, OpenApiPaths } from './openapi.js';
export { buildOpenApiDocument } from './openapi-document.js';
export { LIMITS, RESERVED_HEADER_KEYS } from './primitives.js';
export { createApiSchemas, type ApiSchemas } from './surfaces/ubiops/schemas.js';
export { toWebhookDetail, type WebhookDetailView } from './surfaces/ubiops/views.js';
export {
  createUp42Schemas,
  toUp42Webhook,
  type Up42Envelope,
  type Up42EventTestView,
  type Up42Schemas,
  type Up42WebhookView,
} from './surfaces/up42/schemas.js';
